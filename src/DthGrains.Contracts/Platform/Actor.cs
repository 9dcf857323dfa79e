using System.Collections.Immutable;

namespace DthGrains.Contracts.Platform;

/// <summary>Who acts: taken from the caller's validated token, never from a request body.</summary>
[GenerateSerializer, Immutable, Alias("dth.actor")]
public sealed record Actor(
    [property: Id(0)] string Subject,
    [property: Id(1)] string Name,
    [property: Id(2)] string? Institution,
    [property: Id(3)] ImmutableArray<string> Roles)
{
    /// <summary>The platform itself (silo registration, reminders, the demo seed).</summary>
    public static Actor System(string? institution = null) =>
        new("system", "DthGrains platform", institution, [Platform.Roles.System]);

    public bool HasRole(string role) => !Roles.IsDefault && Roles.Contains(role);
}

/// <summary>The role names carried in tokens (claim <c>roles</c>).</summary>
public static class Roles
{
    public const string Researcher = "researcher";
    public const string Steward = "steward";
    public const string Auditor = "auditor";
    public const string InstitutionAdmin = "institution-admin";
    public const string PlatformAdmin = "platform-admin";

    /// <summary>Builds and releases models, methods and twins for their institution.</summary>
    public const string Modeller = "modeller";

    /// <summary>Never present in a token: only the platform's own background work acts as system.</summary>
    public const string System = "system";

    public static readonly ImmutableArray<string> All = [Researcher, Steward, Auditor, InstitutionAdmin, PlatformAdmin, Modeller];
}
