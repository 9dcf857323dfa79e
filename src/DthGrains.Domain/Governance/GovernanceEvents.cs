using DthGrains.Contracts.Governance;

namespace DthGrains.Domain.Governance;

public sealed record ApplicationSubmitted(string Id, string Applicant, string? ApplicantInstitution, AccessApplication Application,
    IReadOnlyDictionary<string, string[]> Owners, IReadOnlyDictionary<string, string> DatasetVersions, DateTimeOffset SubmittedAt);

public sealed record ApplicationReturned(string Id, string By, string Institution, string Reason, DateTimeOffset ReturnedAt);

/// <summary>
/// One owner's decision on its slot (approve with conditions, or refuse), with a reason and what the steward saw
/// (<see cref="DecisionContext"/>; null only in events recorded before the context was).
/// </summary>
public sealed record DecisionRecorded(string Id, string Institution, bool Approve, string Reason, string[] Conditions, string By, DateTimeOffset DecidedAt,
    DecisionContext? Context = null);

public sealed record ApplicationApproved(string Id, DateTimeOffset ApprovedAt);

public sealed record ApplicationRejected(string Id, string Institution, string Reason, DateTimeOffset RejectedAt);

public sealed record AccessGranted(string Id, string GrantId, string[] Principals, IReadOnlyDictionary<string, string> DatasetVersions, EhdsPurpose Purpose,
    PermittedAction[] Actions, string[] Conditions, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil);

public sealed record AccessRevoked(string Id, string GrantId, string By, string Institution, string Reason, DateTimeOffset RevokedAt);

public sealed record AccessExpired(string Id, string GrantId, DateTimeOffset ExpiredAt);

public sealed record ApplicationClosed(string Id, string By, string Reason, DateTimeOffset ClosedAt);

public static class GovernanceEventTypes
{
    public static readonly IReadOnlyDictionary<Type, string> Names = new Dictionary<Type, string>
    {
        [typeof(ApplicationSubmitted)] = "governance.application_submitted",
        [typeof(ApplicationReturned)] = "governance.application_returned",
        [typeof(DecisionRecorded)] = "governance.decision_recorded",
        [typeof(ApplicationApproved)] = "governance.application_approved",
        [typeof(ApplicationRejected)] = "governance.application_rejected",
        [typeof(AccessGranted)] = "governance.access_granted",
        [typeof(AccessRevoked)] = "governance.access_revoked",
        [typeof(AccessExpired)] = "governance.access_expired",
        [typeof(ApplicationClosed)] = "governance.application_closed",
    };

    public static string StreamOf(string requestId) => $"access-request:{requestId}";
}
