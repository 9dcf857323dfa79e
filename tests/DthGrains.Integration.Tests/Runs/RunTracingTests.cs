using System.Collections.Concurrent;
using System.Diagnostics;
using DthGrains.Grains.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Runs.RunTestData;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>Each shard of a run leaves one span on its worker, naming the run, the shard, its subjects and the silo.</summary>
[Collection(HostCollection.Name)]
public sealed class RunTracingTests(HostFixture fixture)
{
    [Fact]
    public async Task Every_shard_of_a_completed_run_is_one_span_with_its_subjects_and_the_slot_it_waited_for()
    {
        var spans = new ConcurrentBag<Activity>();
        // A span stops once its shard's report was acknowledged, just after the run recorded it: the listener says when
        // the run's third shard span has stopped.
        string? id = null;
        var allStopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Stopped(Activity activity)
        {
            spans.Add(activity);
            if (Volatile.Read(ref id) is { } run && spans.Count(s => (string?)s.GetTagItem("dth.run.id") == run) >= 3) allStopped.TrySetResult();
        }
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is RunTracing.SourceName or "Microsoft.Orleans.Application",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Stopped,
        };
        ActivitySource.AddActivityListener(listener);

        var researcher = fixture.Host.ClientAs("researcher", "tum", subject: $"tracing-{Guid.NewGuid():N}"[..20]);
        Volatile.Write(ref id, await SubmitAsync(researcher, Cohort(size: 30, shardSize: 10, seed: 11)));
        await WaitForStatusAsync(researcher, id!, "completed");
        // Shards may all have stopped before the id was known: look once more, then wait for the signal.
        if (spans.Count(s => (string?)s.GetTagItem("dth.run.id") == id) >= 3) allStopped.TrySetResult();
        await allStopped.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var ours = spans.Where(s => (string?)s.GetTagItem("dth.run.id") == id).OrderBy(s => (int)s.GetTagItem("dth.run.shard")!).ToList();
        ours.Select(s => (int)s.GetTagItem("dth.run.shard")!).Should().Equal(0, 1, 2);
        ours.Should().OnlyContain(s => (long)s.GetTagItem("dth.run.subjects")! == 10 && s.Status != ActivityStatusCode.Error && s.Duration > TimeSpan.Zero);
        ours.Should().OnlyContain(s => s.Events.Any(e => e.Name == "worker slot taken"));
        ours.Should().OnlyContain(s => !string.IsNullOrEmpty((string?)s.GetTagItem("dth.silo")));
        // Orleans carries the trace into the worker: each shard's span sits under the grain call that asked for it.
        var orleans = spans.Where(s => s.Source.Name != RunTracing.SourceName).ToList();
        foreach (var shard in ours)
            orleans.Should().Contain(s => s.SpanId == shard.ParentSpanId && s.DisplayName.Contains("RunWorker", StringComparison.Ordinal),
                $"shard {shard.GetTagItem("dth.run.shard")}'s parent is the call to its worker (parent {shard.ParentSpanId})");
    }
}
