using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;

namespace DthGrains.Domain.Tests.Runs;

/// <summary>
/// Every shard records statistics for each output at each output time in the ledger: a run keeps the total within
/// <see cref="RunPlanner.MaxStatisticsCells"/>, so tiny shards on a fine grid cannot write gigabytes for a few subjects.
/// </summary>
public sealed class StatisticsBudgetTests
{
    // 540 min every 0.27 min: 2,001 output times × 4 outputs of Hovorka = 8,004 cells a shard.
    private static RunRequest Fine(int size, int? shardSize) => new(RunKind.CohortTrial, "hovorka", Size: size, OutputStep: 0.27, ShardSize: shardSize);

    [Fact]
    public void A_shard_size_that_would_record_too_many_cells_is_refused_naming_the_one_that_fits()
    {
        var (plan, problem) = RunPlanner.Plan(Fine(100_000, 10));

        plan.Should().BeNull();
        var message = problem!.Errors!["shardSize"].Single();
        // 10,000 shards × 8,004 cells; 1,249 shards fit, so shards of 81 subjects.
        message.Should().Contain("10,000 × 8,004").And.Contain("at least 81");
        RunPlanner.Plan(Fine(100_000, 81)).Problem.Should().BeNull();
        RunPlanner.Plan(Fine(100_000, 80)).Problem.Should().NotBeNull();
    }

    [Fact]
    public void The_default_shard_size_stays_within_the_budget()
    {
        RunPlanner.SmallestShardSize(1_000_000, 8_004).Should().Be(801);
        RunPlanner.DefaultShardSize(1_000_000, 8_004).Should().Be(2000, "500 shards of the usual 2,000 fit");
        // A grid of 50,000 cells a shard (a model with 25 outputs at 2,001 times) needs larger shards than the usual.
        RunPlanner.DefaultShardSize(1_000_000, 50_000).Should().Be(5000);
        RunPlanner.DefaultShardSize(100, 50_000).Should().Be(100);
        var (plan, problem) = RunPlanner.Plan(Fine(1_000_000, null));
        problem.Should().BeNull();
        ((long)plan!.Shards * plan.Times.Length * plan.Outputs.Length).Should().BeLessThanOrEqualTo(RunPlanner.MaxStatisticsCells);
    }
}
