using System.Collections.Immutable;
using DthGrains.Contracts.Governance;

namespace DthGrains.Domain.Governance;

/// <summary>One access request, folded from its stream.</summary>
public sealed record AccessRequestState(
    string Id,
    bool Exists,
    string Applicant,
    string? ApplicantInstitution,
    ApplicationStatus Status,
    string? StatusReason,
    AccessApplication? Application,
    ImmutableList<ReviewSlot> Slots,
    AccessGrant? Grant,
    IReadOnlyDictionary<string, string> DatasetVersions,
    long Version,
    DateTimeOffset SubmittedAt,
    DateTimeOffset UpdatedAt)
{
    public static AccessRequestState Initial(string id) =>
        new(id, false, "", null, ApplicationStatus.Submitted, null, null, [], null, new Dictionary<string, string>(), 0, default, default);

    public ReviewSlot? SlotOf(string? institution) => Slots.FirstOrDefault(s => s.Institution == institution);

    public static AccessRequestState Evolve(AccessRequestState s, object @event) => (@event switch
    {
        ApplicationSubmitted e => s with
        {
            Exists = true, Applicant = e.Applicant, ApplicantInstitution = e.ApplicantInstitution, Application = e.Application,
            Status = ApplicationStatus.Submitted, StatusReason = null, SubmittedAt = e.SubmittedAt, UpdatedAt = e.SubmittedAt, DatasetVersions = e.DatasetVersions,
            Slots = e.Owners.OrderBy(o => o.Key, StringComparer.Ordinal)
                .Select(o => new ReviewSlot(o.Key, o.Value, SlotDecision.Pending, null, [], null, null)).ToImmutableList(),
        },
        ApplicationReturned e => s with { Status = ApplicationStatus.Returned, StatusReason = $"returned by {e.Institution}: {e.Reason}", UpdatedAt = e.ReturnedAt },
        DecisionRecorded e => s with
        {
            Status = ApplicationStatus.UnderReview,
            Slots = s.Slots.Select(slot => slot.Institution == e.Institution
                ? slot with { Decision = e.Approve ? SlotDecision.Approved : SlotDecision.Refused, Reason = e.Reason, Conditions = e.Conditions, DecidedBy = e.By, DecidedAt = e.DecidedAt }
                : slot).ToImmutableList(),
            UpdatedAt = e.DecidedAt,
        },
        ApplicationApproved e => s with { Status = ApplicationStatus.Approved, StatusReason = "approved by every owning institution", UpdatedAt = e.ApprovedAt },
        ApplicationRejected e => s with { Status = ApplicationStatus.Rejected, StatusReason = $"refused by {e.Institution}: {e.Reason}", UpdatedAt = e.RejectedAt },
        AccessGranted e => s with
        {
            Grant = new AccessGrant(e.GrantId, e.Principals, e.DatasetVersions, e.Purpose, e.Actions, e.Conditions, e.ValidFrom, e.ValidUntil, GrantStatus.Active, null),
            UpdatedAt = e.ValidFrom,
        },
        AccessRevoked e => s with { Grant = s.Grant! with { Status = GrantStatus.Revoked, StatusReason = $"revoked by {e.Institution}: {e.Reason}" }, UpdatedAt = e.RevokedAt },
        AccessExpired e => s with { Grant = s.Grant! with { Status = GrantStatus.Expired, StatusReason = $"expired at {s.Grant.ValidUntil:O}" }, UpdatedAt = e.ExpiredAt },
        ApplicationClosed e => s with
        {
            Status = s.Status == ApplicationStatus.Approved ? s.Status : ApplicationStatus.Closed,
            StatusReason = s.Status == ApplicationStatus.Approved ? s.StatusReason : $"closed by the applicant: {e.Reason}",
            Grant = s.Grant is { Status: GrantStatus.Active } g ? g with { Status = GrantStatus.Closed, StatusReason = $"closed by the applicant: {e.Reason}" } : s.Grant,
            UpdatedAt = e.ClosedAt,
        },
        _ => s,
    }) with { Version = s.Version + 1 };

    /// <summary>
    /// The request as seen at <paramref name="at"/> (when given): an active grant past its end shows as expired then, as
    /// the policy decision point already treats it, before its reminder records AccessExpired (hourly retries, later
    /// still while silos are down).
    /// </summary>
    public AccessRequestView ToView(DateTimeOffset? at = null) =>
        new(Id, Applicant, ApplicantInstitution, Status, StatusReason, Application!, Slots, EffectiveGrant(at), Version, SubmittedAt, UpdatedAt);

    private AccessGrant? EffectiveGrant(DateTimeOffset? at) =>
        Grant is { Status: GrantStatus.Active } g && at is { } t && t >= g.ValidUntil
            ? g with { Status = GrantStatus.Expired, StatusReason = $"expired at {g.ValidUntil:O} (not recorded yet)" }
            : Grant;
}
