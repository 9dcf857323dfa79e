using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DthGrains.Simulation.Models.External;

/// <summary>
/// What a silo's operators watch about external codes: each process (a subject's, or a batch's) by model and by how it
/// ended, and how long it ran, so a code that runs into its limits, crashes or answers out of protocol shows before a
/// researcher asks why their subjects failed. The model id is an operator's name for a code: no tag names a person, a
/// run or a dataset.
/// </summary>
public static class ExternalCodeMetrics
{
    /// <summary>
    /// The silo's meter for runs: <c>RunMetrics</c> (DthGrains.Grains) takes its name from here, and a listener takes the
    /// instruments of every meter of that name, so these are exported with the runs' metrics.
    /// </summary>
    public const string MeterName = "DthGrains.Runs";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Processes = Meter.CreateCounter<long>("dth.runs.external_processes", "{process}",
        "External code processes ended on this silo (tags model; outcome: " + string.Join(", ", ExternalOutcome.All) + ")");

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("dth.runs.external_process_duration", "s",
        "How long an external code's process ran, from its start to its end (tags model, outcome)", tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] });

    internal static void Ended(string model, string outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "model", model }, { "outcome", outcome } };
        Processes.Add(1, tags);
        Duration.Record(elapsed.TotalSeconds, tags);
    }
}

/// <summary>How an external code's process ended: the <c>outcome</c> tag of <see cref="ExternalCodeMetrics"/>.</summary>
public static class ExternalOutcome
{
    /// <summary>It exited with 0 and its answer followed the protocol (a batch's subjects may still have answered errors).</summary>
    public const string Completed = "completed";
    /// <summary>It exited with another code.</summary>
    public const string ExitCode = "exit-code";
    /// <summary>A signal ended it, not one of its limits'.</summary>
    public const string Signal = "signal";
    /// <summary>It used more than its CPU time limit (executor.cpuSeconds).</summary>
    public const string CpuLimit = "cpu-limit";
    /// <summary>It failed an allocation under its memory limit (executor.memoryMiB), as its standard error says.</summary>
    public const string MemoryLimit = "memory-limit";
    /// <summary>It ran past its timeout and was killed.</summary>
    public const string Timeout = "timeout";
    /// <summary>It wrote more than its output bound.</summary>
    public const string OutputBound = "output-bound";
    /// <summary>It exited with 0 and its answer did not follow the protocol.</summary>
    public const string BadAnswer = "bad-answer";
    /// <summary>It did not start (not executable, gone).</summary>
    public const string NotStarted = "not-started";
    /// <summary>Its run or shard was cancelled, and it with them.</summary>
    public const string Cancelled = "cancelled";

    public static readonly string[] All = [Completed, ExitCode, Signal, CpuLimit, MemoryLimit, Timeout, OutputBound, BadAnswer, NotStarted, Cancelled];
}
