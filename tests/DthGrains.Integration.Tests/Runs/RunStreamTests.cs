using System.Text;
using DthGrains.Contracts.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Silo.Runs;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>The SSE follower and writer on their own: a slow reader stays bounded and is dropped; progress is coalesced.</summary>
public sealed class RunStreamTests
{
    private static readonly RunStreamOptions Options = new() { BufferCapacity = 8, ProgressInterval = TimeSpan.FromMilliseconds(100), Resubscribe = TimeSpan.FromHours(1), Heartbeat = TimeSpan.FromHours(1) };

    private static RunProgress Progress(long done) => new("r", RunStatus.Running, 0, 10, done, 1000, 2);

    private static RunStreamEvent Event(long version, string type = "runs.shard_completed") => new("r", version, type, $"{{\"version\":{version}}}");

    /// <summary>A response body whose reader never reads: every write waits, on a signal that never comes, until cancelled.</summary>
    private sealed class StalledBody : MemoryStream
    {
        private readonly TaskCompletionSource _neverRead = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => await _neverRead.Task.WaitAsync(ct);

        public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;
    }

    [Fact]
    public async Task A_reader_that_never_reads_holds_at_most_a_buffer_of_events_and_is_dropped()
    {
        var stats = new RunFollowers();
        using var aborted = new CancellationTokenSource();
        var follower = new RunFollower(Options.BufferCapacity, aborted.Cancel, stats);
        var writer = new RunEventWriter(new StalledBody(), follower, (_, _) => Task.FromResult(new RunStreamCatchUp([Event(1, "runs.run_submitted")], false)),
            () => Task.FromResult(0L), Options, TimeProvider.System);
        var writing = writer.RunAsync(0, aborted.Token);

        for (var v = 2; v <= 10_000; v++) await follower.OnEventAsync(Event(v));

        follower.Overflowed.Should().BeTrue();
        follower.Buffered.Should().BeLessThanOrEqualTo(Options.BufferCapacity);
        stats.BufferHighWater.Should().BeLessThanOrEqualTo(Options.BufferCapacity);
        stats.Dropped.Should().Be(1);
        aborted.IsCancellationRequested.Should().BeTrue("the connection is aborted, so the blocked write ends");
        var ended = async () => await writing.WaitAsync(TimeSpan.FromSeconds(30));
        await ended.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task A_follower_whose_stream_ended_drops_what_the_run_still_sends_it_without_aborting_anything()
    {
        var aborts = 0;
        var follower = new RunFollower(4, () => aborts++);
        follower.Close();

        for (var v = 1; v <= 100; v++) await follower.OnEventAsync(Event(v));
        await follower.OnProgressAsync(Progress(7));

        follower.Buffered.Should().Be(0);
        follower.PeekProgress().Should().BeNull();
        follower.Overflowed.Should().BeFalse();
        aborts.Should().Be(0, "the response is over: there is nothing to abort");
    }

    [Fact]
    public async Task Progress_is_coalesced_to_one_update_per_interval_and_carries_no_id()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var follower = new RunFollower(Options.BufferCapacity, () => { });
        var body = new MemoryStream();
        var writer = new RunEventWriter(body, follower, (_, _) => Task.FromResult(new RunStreamCatchUp([], false)), () => Task.FromResult(0L), Options, clock);
        var writing = writer.RunAsync(0, CancellationToken.None);

        for (var i = 0; i < 1000; i++) await follower.OnProgressAsync(Progress(i));
        await Eventually.Until(() => Task.FromResult(writer.ProgressWritten), n => n == 1, TimeSpan.FromSeconds(30), "the first progress update");
        for (var i = 1000; i < 2000; i++) await follower.OnProgressAsync(Progress(i));
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await Eventually.Until(() => Task.FromResult(writer.ProgressWritten), n => n == 2, TimeSpan.FromSeconds(30), "the second progress update");
        await follower.OnEventAsync(Event(1, "runs.run_completed"));
        await writing.WaitAsync(TimeSpan.FromSeconds(30));

        writer.ProgressWritten.Should().Be(2, "2000 updates within 100 ms of clock time are coalesced to two");
        var text = Encoding.UTF8.GetString(body.ToArray());
        var frames = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        frames.Where(f => f.Contains("event: progress")).Should().HaveCount(2).And.OnlyContain(f => !f.Contains("id:"));
        frames[^1].Should().StartWith("id: 1\nevent: runs.run_completed");
        frames.Last(f => f.Contains("event: progress")).Should().Contain("\"subjectsDone\":1999", "the latest value wins").And.Contain("\"status\":\"running\"");
    }
}
