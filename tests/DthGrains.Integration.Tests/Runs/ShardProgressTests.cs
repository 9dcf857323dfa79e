using DthGrains.Grains.Runs;

// The tasks awaited here are the tests' own (stand-ins for a solve and the reports).
#pragma warning disable VSTHRD003

namespace DthGrains.Integration.Tests.Runs;

/// <summary>A worker's progress reports while its shard is solved: they stop with the shard, not with its solver.</summary>
public sealed class ShardProgressTests
{
    // Only a bound on a wait that must end: a loop that went on reporting until the solve ended never ends here.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_stopped_shard_stops_reporting_although_its_solver_has_not_noticed_yet()
    {
        // A solver that has not looked at the token yet: it ends only when the test lets it.
        var solving = new TaskCompletionSource();
        using var stop = new CancellationTokenSource();
        var reports = 0;
        var sent = ShardProgress.ReportWhileSolvingAsync(solving.Task, () =>
        {
            // The run is cancelled while the first report is on its way.
            if (++reports == 1) stop.Cancel();
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(1), stop.Token);

        (await sent.WaitAsync(Patience)).Should().Be(1, "nothing is reported once the shard is stopped");
        reports.Should().Be(1);
        solving.Task.IsCompleted.Should().BeFalse("the reports ended before the solve did");
        solving.SetResult();
    }

    [Fact]
    public async Task Reports_go_while_the_shard_is_solved_and_end_with_it()
    {
        var solving = new TaskCompletionSource();
        var reports = 0;
        var enough = new TaskCompletionSource();
        var sent = ShardProgress.ReportWhileSolvingAsync(solving.Task, () =>
        {
            if (++reports == 3) enough.SetResult();
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(1), CancellationToken.None);

        await enough.Task.WaitAsync(Patience);
        solving.SetResult();
        (await sent.WaitAsync(Patience)).Should().BeGreaterThanOrEqualTo(3).And.Be(reports);
    }

    [Fact]
    public async Task A_shard_solved_at_once_reports_nothing()
    {
        (await ShardProgress.ReportWhileSolvingAsync(Task.CompletedTask, () => throw new InvalidOperationException("no report expected"),
            TimeSpan.FromMilliseconds(100), CancellationToken.None)).Should().Be(0);
    }
}
