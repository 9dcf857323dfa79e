using System.Diagnostics.Metrics;

namespace DthGrains.Grains.Platform;

/// <summary>
/// What the event log's committer does, for a silo's operators (scraped at <c>/metrics</c> with the silo's other
/// metrics): events committed per stream category, how long a transaction of appends takes and how many appends group
/// commit puts in one, and appends refused because their stream had moved on. Tags name stream categories only (run,
/// access-request, resource, ...), never a stream.
/// </summary>
public static class LedgerMetrics
{
    public const string MeterName = "DthGrains.Ledger";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Events = Meter.CreateCounter<long>("dth.ledger.events", "{event}",
        "Events committed to the hash-chained log (tag category: the stream key's prefix, e.g. run, access-request)");

    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("dth.ledger.commit_duration", "s",
        "One transaction of appends, from resolving the previous hashes to the COMMIT's answer (tag outcome: committed, failed)",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    private static readonly Histogram<long> BatchAppends = Meter.CreateHistogram<long>("dth.ledger.batch_appends", "{append}",
        "Appends committed together in one transaction (group commit)",
        tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    private static readonly Counter<long> Conflicts = Meter.CreateCounter<long>("dth.ledger.conflicts", "{append}",
        "Appends refused because their stream was no longer at the version they expected (a rival writer won)");

    internal static void Committed(IEnumerable<(string StreamKey, int Events)> appends, int count, TimeSpan elapsed)
    {
        CommitDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", "committed"));
        BatchAppends.Record(count);
        foreach (var (stream, events) in appends) Events.Add(events, new KeyValuePair<string, object?>("category", CategoryOf(stream)));
    }

    internal static void Failed(TimeSpan elapsed) =>
        CommitDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", "failed"));

    internal static void Conflict() => Conflicts.Add(1);

    /// <summary>A stream key's category: what comes before its first colon (<c>run:42</c> is <c>run</c>), else <c>other</c>.</summary>
    public static string CategoryOf(string streamKey)
    {
        ArgumentNullException.ThrowIfNull(streamKey);
        var colon = streamKey.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? streamKey[..colon] : "other";
    }
}
