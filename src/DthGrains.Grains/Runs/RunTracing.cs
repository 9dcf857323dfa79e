using System.Diagnostics;

namespace DthGrains.Grains.Runs;

/// <summary>
/// Spans of a run's work that no library traces: a shard on its worker (waiting for the data gate and a worker slot,
/// then solving on a thread of its own). A shard's span is a child of the run's ask to its worker (Orleans carries the
/// trace between silos), so one trace shows where and how long each shard ran. Exported with the silo's traces when
/// OTLP is configured. Tags name the run and shard, never the researcher.
/// </summary>
public static class RunTracing
{
    public const string SourceName = "DthGrains.Runs";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts the span of one shard on its worker (null when nothing listens).</summary>
    public static Activity? StartShard(string runId, int shard, long subjects, string silo)
    {
        var activity = Source.StartActivity("run shard");
        activity?.SetTag("dth.run.id", runId);
        activity?.SetTag("dth.run.shard", shard);
        activity?.SetTag("dth.run.subjects", subjects);
        activity?.SetTag("dth.silo", silo);
        return activity;
    }
}
