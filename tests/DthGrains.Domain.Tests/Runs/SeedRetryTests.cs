using DthGrains.Domain.Runs;

namespace DthGrains.Domain.Tests.Runs;

public class SeedRetryTests
{
    [Fact]
    public void The_waits_double_after_each_failure_in_a_row_up_to_the_bound()
    {
        Enumerable.Range(0, 8).Select(n => SeedRetry.RoundsToWait(n, 150)).Should().Equal(0, 0, 1, 3, 7, 15, 31, 63);
        SeedRetry.RoundsToWait(9, 150).Should().Be(150);
        SeedRetry.RoundsToWait(1000, 150).Should().Be(150, "many failures never overflow past the bound");
        SeedRetry.RoundsToWait(5, 0).Should().Be(0, "a bound of zero retries every round");
    }

    [Fact]
    public void Tries_over_many_rounds_grow_with_the_logarithm_of_the_rounds()
    {
        // Simulate a holder that always refuses: count the tries in 1,000 rounds.
        int tries = 0, failures = 0, wait = 0;
        for (var round = 0; round < 1000; round++)
        {
            if (wait > 0) { wait--; continue; }
            tries++;
            failures++;
            wait = SeedRetry.RoundsToWait(failures, 150);
        }
        // 1, 2, 4, …, 128, then one every 151 rounds: 9 tries to round 255, then (1000 − 255) / 151 more.
        tries.Should().BeInRange(12, 15);
    }

    [Fact]
    public void The_bound_in_rounds_comes_from_the_longest_wait_over_the_period()
    {
        SeedRetry.MaxRounds(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(2)).Should().Be(150);
        SeedRetry.MaxRounds(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2)).Should().Be(1);
        SeedRetry.MaxRounds(TimeSpan.FromMinutes(5), TimeSpan.Zero).Should().Be(1);
        FluentActions.Invoking(() => SeedRetry.RoundsToWait(3, -1)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
