using DthGrains.Contracts.Platform;

namespace DthGrains.Grains.Catalogue;

/// <summary>A request to use a dataset's payload: who, which dataset version, for what purpose, which action.</summary>
public sealed record DatasetAccessRequest(string Institution, string DatasetId, string Version, Actor Actor, string? Purpose, string Action);

/// <summary>The answer, with a reason a person can read and the grant that permitted it, if any.</summary>
public sealed record DatasetAccessDecision(bool Permit, string Reason, string? GrantId = null);

/// <summary>The one policy decision point for payload reads; the governance capability replaces the default.</summary>
public interface IDatasetAccessPolicy
{
    Task<DatasetAccessDecision> DecideAsync(DatasetAccessRequest request, DateTimeOffset now);
}
