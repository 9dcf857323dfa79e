using System.Diagnostics.Metrics;

namespace DthGrains.Grains.Platform;

/// <summary>
/// What the event log's committer does, for a silo's operators (scraped at <c>/metrics</c> with the silo's other
/// metrics): events committed per stream category, how long a transaction of appends takes and how many appends group
/// commit puts in one, appends refused because their stream had moved on, and appends whose COMMIT's answer was lost.
/// Tags name stream categories only (run, access-request, resource, ...), never a stream.
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

    private static readonly Counter<long> LostCommitAnswers = Meter.CreateCounter<long>("dth.ledger.lost_commit_answers", "{append}",
        "Appends whose transaction's COMMIT went out and whose answer the broken connection lost, by what the store showed then " +
        "(tag resolved: committed and not-committed, answered so; unknown, answered 503 saying so, when the store could not be read either)");

    internal static void Committed(IEnumerable<(string StreamKey, int Events)> appends, int count, TimeSpan elapsed)
    {
        CommitDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", "committed"));
        BatchAppends.Record(count);
        foreach (var (stream, events) in appends) Events.Add(events, new KeyValuePair<string, object?>("category", CategoryOf(stream)));
    }

    internal static void Failed(TimeSpan elapsed) =>
        CommitDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", "failed"));

    internal static void Conflict() => Conflicts.Add(1);

    /// <summary>The COMMIT of a transaction of <paramref name="streamKeys"/>' appends lost its answer; <paramref name="committed"/> is what the store showed, null when it could not tell.</summary>
    internal static void CommitAnswerLost(IEnumerable<string> streamKeys, bool? committed)
    {
        var resolved = new KeyValuePair<string, object?>("resolved", committed switch { true => "committed", false => "not-committed", null => "unknown" });
        foreach (var stream in streamKeys) LostCommitAnswers.Add(1, new KeyValuePair<string, object?>("category", CategoryOf(stream)), resolved);
    }

    /// <summary>A stream key's category: what comes before its first colon (<c>run:42</c> is <c>run</c>), else <c>other</c>.</summary>
    public static string CategoryOf(string streamKey)
    {
        ArgumentNullException.ThrowIfNull(streamKey);
        var colon = streamKey.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? streamKey[..colon] : "other";
    }
}
