using DthGrains.Cli.Runs;

namespace DthGrains.Integration.Tests.Cli;

public sealed class SubjectRateTests
{
    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void The_rate_counts_only_subjects_solved_while_followed_and_running()
    {
        var rate = new SubjectRate();
        // Joined a run already at 20,000: the first update is the baseline, not 20,000 subjects in no time.
        rate.Observe(20_000, running: true, At(0)).Should().BeNull();
        rate.Observe(20_500, running: true, At(0.5)).Should().BeNull("half a second is one shard's burst");
        rate.Observe(24_000, running: true, At(2)).Should().Be(2_000);
    }

    [Fact]
    public void A_suspension_restarts_the_rate_instead_of_averaging_the_wait_in()
    {
        var rate = new SubjectRate();
        rate.Observe(0, running: true, At(0));
        rate.Observe(30_000, running: true, At(10)).Should().Be(3_000);
        rate.Observe(32_000, running: false, At(11)).Should().BeNull();
        rate.Observe(32_000, running: false, At(300)).Should().BeNull();
        rate.Observe(32_000, running: true, At(310)).Should().BeNull();
        rate.Observe(38_000, running: true, At(312)).Should().Be(3_000, "not 38,000 over 312 s (122/s), as before");
    }
}
