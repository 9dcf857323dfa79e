using System.Diagnostics.Metrics;
using DthGrains.Domain.Governance;

namespace DthGrains.Grains.Governance;

/// <summary>
/// What the data stewards' work looks like in numbers, for a silo's operators (scraped at <c>/metrics</c>): applications
/// submitted, the stewards' decisions and what became of grants. No applicant, steward or dataset is named in a tag.
/// </summary>
public static class GovernanceMetrics
{
    public const string MeterName = "DthGrains.Governance";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Applications = Meter.CreateCounter<long>("dth.access.applications", "{application}",
        "Data access applications submitted (a resubmission after a return counts again)");

    private static readonly Counter<long> Decisions = Meter.CreateCounter<long>("dth.access.decisions", "{decision}",
        "Stewards' decisions on their institution's part of an application (tag decision: approved, refused, returned)");

    private static readonly Counter<long> Grants = Meter.CreateCounter<long>("dth.access.grants", "{grant}",
        "What happened to grants (tag change: granted, revoked, expired)");

    /// <summary>Counts what one event an access request grain appended says (once, after its commit; never on replay).</summary>
    public static void Observe(object e)
    {
        var (counter, tag, value) = e switch
        {
            ApplicationSubmitted => (Applications, null, null),
            DecisionRecorded d => (Decisions, "decision", d.Approve ? "approved" : "refused"),
            ApplicationReturned => (Decisions, "decision", "returned"),
            AccessGranted => (Grants, "change", "granted"),
            AccessRevoked => (Grants, "change", "revoked"),
            AccessExpired => (Grants, "change", "expired"),
            _ => ((Counter<long>?)null, (string?)null, (string?)null),
        };
        if (counter is null) return;
        if (tag is null) counter.Add(1);
        else counter.Add(1, new KeyValuePair<string, object?>(tag, value));
    }
}
