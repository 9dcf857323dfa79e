using DthGrains.Contracts.Governance;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Platform;

namespace DthGrains.Domain.Governance;

/// <summary>The owners of the requested datasets, as the catalogue knows them, and the datasets' latest versions.</summary>
public sealed record RequestedData(IReadOnlyDictionary<string, string[]> Owners, IReadOnlyDictionary<string, string> LatestVersions, IReadOnlyDictionary<string, string> Unusable);

/// <summary>Pure decide functions of the access workflow (EHDS Art. 67-69; states after REMS).</summary>
public static class GovernanceDecisions
{
    public const int MaxProcessingMonths = 60;

    public static Decision Submit(AccessRequestState s, AccessApplication a, Actor actor, RequestedData data, DateTimeOffset now)
    {
        if (!actor.HasRole(Roles.Researcher)) return Problem.Forbidden("Access applications are submitted by researchers.");
        if (s.Exists && s.Applicant != actor.Subject) return s.Status == ApplicationStatus.Returned ? Problem.Forbidden("Only the applicant resubmits an application.") : Problem.Conflict($"Request '{s.Id}' exists.", s.Version);
        if (s.Exists && s.Status != ApplicationStatus.Returned)
            return Problem.Conflict($"Request '{s.Id}' is {Name(s.Status)}; only an application returned for changes can be submitted again.", s.Version);
        if (Validate(a, data) is { } invalid) return invalid;
        return Decision.Of(new ApplicationSubmitted(s.Id, actor.Subject, actor.Institution, a with { Persons = a.Persons.Distinct().ToArray() }, data.Owners, data.LatestVersions, now));
    }

    public static Problem? Validate(AccessApplication a, RequestedData data)
    {
        var errors = new FieldErrors()
            .RequireText(a.Title, "title", 200)
            .Require(Enum.IsDefined(a.Purpose), "purpose", "'purpose' must be one of the EHDS Art. 53 purposes.")
            .RequireText(a.IntendedUse, "intendedUse", 4000)
            .RequireText(a.ExpectedBenefit, "expectedBenefit", 4000)
            .RequireText(a.Safeguards, "safeguards", 4000)
            .Require(a.Datasets is { Length: > 0 and <= 50 }, "datasets", "Name between 1 and 50 datasets.")
            .Require(a.Actions is { Length: > 0 } && a.Actions.All(Enum.IsDefined), "actions", "Name the actions you need: read, simulate, export-aggregate.")
            .Require(a.ProcessingMonths is > 0 and <= MaxProcessingMonths, "processingMonths", $"'processingMonths' is the estimated processing period, 1 to {MaxProcessingMonths}.")
            .Require(a.Persons is { Length: <= 50 } && a.Persons.All(Ids.IsValid), "persons", $"'persons' are the ids of the people who will have access ({Ids.Rule}).")
            .Require(!a.Pseudonymised || !string.IsNullOrWhiteSpace(a.PseudonymisationJustification), "pseudonymisationJustification",
                "Pseudonymised data need a justification of why anonymised data do not suffice (EHDS Art. 68).");
        foreach (var (dataset, why) in data.Unusable) errors.Add("datasets", $"'{dataset}': {why}");
        return errors.ToProblem();
    }

    /// <summary>
    /// The caller's institution decides its slot. A decided slot is a 409 that names the decision; a refusal
    /// rejects the application; the last approval issues the grant, valid for the processing period.
    /// </summary>
    public static Decision Decide(AccessRequestState s, StewardDecision d, Actor actor, DateTimeOffset now, DecisionContext? context = null)
    {
        if (Steward(s, actor) is { } notSteward) return notSteward;
        var slot = s.SlotOf(actor.Institution)!;
        // A returned application's earlier decisions no longer count: say it is returned, not "already decided".
        if (s.Status == ApplicationStatus.Returned)
            return Problem.Conflict($"The application was {s.StatusReason}; it is decided again once resubmitted.", s.Version);
        if (slot.Decision != SlotDecision.Pending)
            return Problem.Conflict($"{slot.Institution} already decided: {Name(slot.Decision)} by {slot.DecidedBy} at {slot.DecidedAt:O} ({slot.Reason}).", s.Version);
        if (s.Status is not (ApplicationStatus.Submitted or ApplicationStatus.UnderReview))
            return Problem.Conflict($"The application is {Name(s.Status)} ({s.StatusReason}); there is nothing to decide.", s.Version);
        if (string.IsNullOrWhiteSpace(d.Reason) || d.Reason.Length > 4000) return Problem.Invalid("reason", "A decision carries a reason a person can read.");
        var conditions = d.Approve ? (d.Conditions ?? []).Where(c => !string.IsNullOrWhiteSpace(c)).ToArray() : [];
        var events = new List<object> { new DecisionRecorded(s.Id, slot.Institution, d.Approve, d.Reason, conditions, actor.Subject, now, context) };
        if (!d.Approve)
        {
            events.Add(new ApplicationRejected(s.Id, slot.Institution, d.Reason, now));
        }
        else if (s.Slots.All(o => o.Institution == slot.Institution || o.Decision == SlotDecision.Approved))
        {
            var a = s.Application!;
            events.Add(new ApplicationApproved(s.Id, now));
            events.Add(new AccessGranted(s.Id, $"grant-{s.Id}", [s.Applicant, .. a.Persons.Where(p => p != s.Applicant)],
                LatestVersions(s), a.Purpose, a.Actions, [.. s.Slots.SelectMany(o => o.Conditions), .. conditions], now, now.AddMonths(a.ProcessingMonths)));
        }
        return Decision.Of([.. events]);
    }

    /// <summary>Versions are fixed at submission (they are part of what the stewards reviewed).</summary>
    private static IReadOnlyDictionary<string, string> LatestVersions(AccessRequestState s) =>
        s.Slots.SelectMany(o => o.Datasets).ToDictionary(d => d, d => s.DatasetVersions.TryGetValue(d, out var v) ? v : "latest");

    public static Decision Return(AccessRequestState s, string? reason, Actor actor, DateTimeOffset now)
    {
        if (Steward(s, actor) is { } notSteward) return notSteward;
        if (s.Status is not (ApplicationStatus.Submitted or ApplicationStatus.UnderReview))
            return Problem.Conflict($"The application is {Name(s.Status)}; only one under review can be returned for changes.", s.Version);
        if (string.IsNullOrWhiteSpace(reason)) return Problem.Invalid("reason", "Say what the applicant should change.");
        return Decision.Of(new ApplicationReturned(s.Id, actor.Subject, actor.Institution!, reason, now));
    }

    public static Decision Revoke(AccessRequestState s, string? reason, Actor actor, DateTimeOffset now)
    {
        if (Steward(s, actor) is { } notSteward) return notSteward;
        if (s.Grant is not { Status: GrantStatus.Active } grant)
            return Problem.Conflict($"There is no active grant to revoke ({s.Grant?.StatusReason ?? "none was issued"}).", s.Version);
        if (string.IsNullOrWhiteSpace(reason)) return Problem.Invalid("reason", "A revocation carries a reason (for example the breach).");
        return Decision.Of(new AccessRevoked(s.Id, grant.Id, actor.Subject, actor.Institution!, reason, now));
    }

    public static Decision Close(AccessRequestState s, string? reason, Actor actor, DateTimeOffset now)
    {
        if (!s.Exists) return Problem.NotFound($"Access request '{s.Id}'");
        if (s.Applicant != actor.Subject) return Problem.Forbidden("Only the applicant closes an application.");
        var open = s.Status is ApplicationStatus.Submitted or ApplicationStatus.UnderReview or ApplicationStatus.Returned || s.Grant is { Status: GrantStatus.Active };
        if (!open) return Problem.Conflict($"The application is {Name(s.Status)} ({s.StatusReason}).", s.Version);
        if (string.IsNullOrWhiteSpace(reason)) return Problem.Invalid("reason", "Say why the application is closed.");
        return Decision.Of(new ApplicationClosed(s.Id, actor.Subject, reason, now));
    }

    /// <summary>The expiry reminder's command: idempotent, nothing to do before the end or when already ended.</summary>
    public static Decision Expire(AccessRequestState s, DateTimeOffset now) =>
        s.Grant is { Status: GrantStatus.Active } g && now >= g.ValidUntil ? Decision.Of(new AccessExpired(s.Id, g.Id, now)) : Decision.Nothing;

    private static Problem? Steward(AccessRequestState s, Actor actor)
    {
        if (!s.Exists) return Problem.NotFound($"Access request '{s.Id}'");
        if (!actor.HasRole(Roles.Steward)) return Problem.Forbidden("Decisions are taken by data stewards.");
        if (s.SlotOf(actor.Institution) is null)
            return Problem.Forbidden($"'{actor.Institution}' owns none of the requested datasets; its stewards do not decide this application.");
        // Four eyes: nobody reviews an application that gives them access.
        return actor.Subject == s.Applicant || s.Application!.Persons.Contains(actor.Subject)
            ? Problem.Forbidden("You are the applicant or one of the persons who would have access: another steward of your institution decides.")
            : null;
    }

    public static string Name<TEnum>(TEnum value) where TEnum : struct, Enum => value.ToString().ToLowerInvariant();
}
