using DthGrains.Cli.Runs;

namespace DthGrains.Integration.Tests.Cli;

/// <summary><c>dth run watch</c> and <c>submit --follow</c> exit 0 only for a completed run: a script goes on after them.</summary>
public sealed class RunWatchExitCodeTests
{
    [Theory]
    [InlineData("runs.run_completed", 0)]
    [InlineData("runs.run_failed", RunWatch.RunFailed)]
    [InlineData("runs.run_cancelled", RunWatch.RunCancelled)]
    [InlineData(null, RunWatch.NotEnded)]
    [InlineData("runs.run_suspended", RunWatch.NotEnded)]
    public void The_exit_code_of_a_follow_is_0_only_for_a_completed_run(string? lastEvent, int exit) =>
        RunWatch.ExitCodeOf(lastEvent).Should().Be(exit);
}
