using System.Diagnostics.Metrics;
using System.Text.Json;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Simulation.Models.External;

namespace DthGrains.Grains.Runs;

/// <summary>
/// What a silo's operators watch about runs (exported with the silo's other OpenTelemetry metrics, and scraped at
/// <c>/metrics</c>): submissions admitted and refused by the researchers' caps, how the silo's worker slots are used, and
/// runs' lives as their grains record them. No researcher, run or dataset is named in a tag: the ledger says who and
/// what; the metrics say how much and how fast, with tags of a few values each (kind, status, silo role).
/// </summary>
public static class RunMetrics
{
    /// <summary>The meter's name: external codes' processes are counted in it too, by the simulation library (<see cref="ExternalCodeMetrics"/>).</summary>
    public const string MeterName = ExternalCodeMetrics.MeterName;

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Admitted = Meter.CreateCounter<long>("dth.runs.admitted", "{run}",
        "Run submissions accepted through a researcher's admission (a repeat with the same Idempotency-Key counts again)");

    /// <summary>Tag <c>reason</c>: <c>unfinished-runs</c> (the cap on unfinished runs) or <c>rows-quota</c>.</summary>
    public static readonly Counter<long> Refused = Meter.CreateCounter<long>("dth.runs.refused", "{run}",
        "Run submissions refused by a researcher's cap (tag reason: unfinished-runs, rows-quota)");

    public static readonly Counter<long> Subjects = Meter.CreateCounter<long>("dth.runs.subjects", "{subject}",
        "Subjects solved by this silo's workers");

    public static readonly Histogram<double> SlotWait = Meter.CreateHistogram<double>("dth.runs.worker_slot_wait", "s",
        "How long a shard waited for one of this silo's worker slots (taken in turns between researchers)",
        tags: null, advice: Seconds(0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300));

    public static readonly UpDownCounter<long> Streams = Meter.CreateUpDownCounter<long>("dth.runs.streams", "{stream}",
        "Run event streams (SSE) open on this silo");

    public static readonly Counter<long> StreamsRefused = Meter.CreateCounter<long>("dth.runs.streams_refused", "{stream}",
        "Run event streams refused (429) because their client had as many open as its cap allows");

    public static readonly Counter<long> FollowersDropped = Meter.CreateCounter<long>("dth.runs.followers_dropped", "{stream}",
        "Run event streams closed because their reader fell a whole buffer behind (it resumes with Last-Event-ID)");

    private static readonly Counter<long> Submitted = Meter.CreateCounter<long>("dth.runs.submitted", "{run}",
        "Runs recorded as submitted (tag kind)");

    private static readonly Counter<long> Ended = Meter.CreateCounter<long>("dth.runs.ended", "{run}",
        "Runs ended (tags kind; status: completed, failed, cancelled)");

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("dth.runs.duration", "s",
        "From a run's submission to its end, as recorded (tags kind, status)",
        tags: null, advice: Seconds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400));

    private static readonly Counter<long> Suspended = Meter.CreateCounter<long>("dth.runs.suspended", "{run}",
        "Runs suspended: a grant they use expired or was revoked, or no silo of a data holder was live (tag kind)");

    private static readonly Counter<long> Resumed = Meter.CreateCounter<long>("dth.runs.resumed", "{run}",
        "Suspended runs resumed under a grant that permits again (tag kind)");

    private static readonly Counter<long> Shards = Meter.CreateCounter<long>("dth.runs.shards", "{shard}",
        "Shards recorded by the runs of this silo (tag role: of the silo that computed each, unknown when it had none)");

    private static readonly Histogram<double> ShardDuration = Meter.CreateHistogram<double>("dth.runs.shard_duration", "s",
        "How long a shard took on its worker, as the worker reported it (tag role of the computing silo)",
        tags: null, advice: Seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300));

    private static readonly Counter<long> FailedSubjects = Meter.CreateCounter<long>("dth.runs.failed_subjects", "{subject}",
        "Subjects whose solve failed, counted when their run completes (tag kind)");

    /// <summary>
    /// Counts what one event a run grain appended says. Called once per event, by the activation that appended it and
    /// only after its commit, so a replay, a retried command or a run moved to another silo counts nothing twice.
    /// </summary>
    /// <param name="run">the run's state with the event applied (it gives the run's kind and submission time).</param>
    public static void Observe(object e, RunState run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Submitted is not { } submitted) return;
        var kind = new KeyValuePair<string, object?>("kind", Tag(submitted.Kind));
        switch (e)
        {
            case RunSubmitted:
                Submitted.Add(1, kind);
                break;
            case ShardCompleted shard:
                var role = new KeyValuePair<string, object?>("role", shard.SiloRole ?? "unknown");
                Shards.Add(1, role);
                ShardDuration.Record(shard.ElapsedMs / 1000, role);
                break;
            case RunSuspended:
                Suspended.Add(1, kind);
                break;
            case RunResumed:
                Resumed.Add(1, kind);
                break;
            case RunCompleted completed:
                End(kind, RunStatus.Completed, submitted.SubmittedAt, completed.CompletedAt);
                if (completed.Failed > 0) FailedSubjects.Add(completed.Failed, kind);
                break;
            case RunFailed failed:
                End(kind, RunStatus.Failed, submitted.SubmittedAt, failed.FailedAt);
                break;
            case RunCancelled cancelled:
                End(kind, RunStatus.Cancelled, submitted.SubmittedAt, cancelled.CancelledAt);
                break;
        }
    }

    private static void End(KeyValuePair<string, object?> kind, RunStatus status, DateTimeOffset submittedAt, DateTimeOffset endedAt)
    {
        var statusTag = new KeyValuePair<string, object?>("status", Tag(status));
        Ended.Add(1, kind, statusTag);
        Duration.Record(Math.Max(0, (endedAt - submittedAt).TotalSeconds), kind, statusTag);
    }

    /// <summary>
    /// Bucket bounds in seconds. Without them a histogram gets OpenTelemetry's default bounds (0 to 10,000, meant for
    /// milliseconds), and every run and shard would fall in its first bucket or two.
    /// </summary>
    internal static InstrumentAdvice<double> Seconds(params double[] bounds) => new() { HistogramBucketBoundaries = bounds };

    /// <summary>An enum value as the API writes it (cohort-trial, scenario-set, completed).</summary>
    public static string Tag<TEnum>(TEnum value) where TEnum : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
}
