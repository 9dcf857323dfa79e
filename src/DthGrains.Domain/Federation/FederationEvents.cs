namespace DthGrains.Domain.Federation;

/// <summary>The role a silo plays in the federation: it holds an institution's data, or it computes (HPC).</summary>
public static class SiloRoles
{
    public const string Data = "data";
    public const string Hpc = "hpc";

    public static bool IsValid(string? role) => role is Data or Hpc;
}

/// <summary>A silo became active in the cluster. The stream key is <c>silo:{SiloId}</c>.</summary>
public sealed record SiloJoined(string SiloId, string Institution, string Role, string Address, DateTimeOffset JoinedAt);

/// <summary>A silo left the cluster: stopped gracefully, or declared dead by the membership protocol.</summary>
public sealed record SiloLeft(string SiloId, string Institution, string Reason, DateTimeOffset LeftAt);

public static class FederationEventTypes
{
    public static readonly IReadOnlyDictionary<Type, string> Names = new Dictionary<Type, string>
    {
        [typeof(SiloJoined)] = "federation.silo_joined",
        [typeof(SiloLeft)] = "federation.silo_left",
    };
}
