using System.Diagnostics.Metrics;

namespace DthGrains.Grains.Runs;

/// <summary>
/// What a silo's operators watch about runs (exported with the silo's other OpenTelemetry metrics): submissions admitted
/// and refused by the researchers' caps, and how the silo's worker slots are used. No researcher is named in a tag: the
/// ledger says who; the metrics say how much.
/// </summary>
public static class RunMetrics
{
    public const string MeterName = "DthGrains.Runs";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Admitted = Meter.CreateCounter<long>("dth.runs.admitted", "{run}",
        "Run submissions accepted through a researcher's admission (a repeat with the same Idempotency-Key counts again)");

    /// <summary>Tag <c>reason</c>: <c>unfinished-runs</c> (the cap on unfinished runs) or <c>rows-quota</c>.</summary>
    public static readonly Counter<long> Refused = Meter.CreateCounter<long>("dth.runs.refused", "{run}",
        "Run submissions refused by a researcher's cap (tag reason: unfinished-runs, rows-quota)");

    public static readonly Counter<long> Subjects = Meter.CreateCounter<long>("dth.runs.subjects", "{subject}",
        "Subjects solved by this silo's workers");

    public static readonly Histogram<double> SlotWait = Meter.CreateHistogram<double>("dth.runs.worker_slot_wait", "s",
        "How long a shard waited for one of this silo's worker slots (taken in turns between researchers)");
}
