using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Simulation.Cohorts;

namespace DthGrains.Domain.Tests.Runs;

/// <summary>
/// A run merges its shards' statistics as they are recorded, keeping only the shards that came ahead of a missing one:
/// whatever the arrival order, the result is the same bits as merging every shard in shard order at the end.
/// </summary>
public sealed class ShardStatisticsFoldTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 10, 0, 0, TimeSpan.Zero);

    private static readonly RunPlan Plan = RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, "hovorka", Size: 140, Seed: 11, Duration: 60, OutputStep: 10, ShardSize: 20)).Plan!;

    private static readonly int Cells = Plan.Times.Length * Plan.Outputs.Length;

    private static readonly ShardCompleted[] Shards = Enumerable.Range(0, Plan.Shards).Select(i =>
    {
        var output = RunPlanner.ExecuteShard(Plan, i);
        var (from, to) = Plan.ShardRange(i);
        return new ShardCompleted("r1", i, from, to, output.Statistics, null, null, "test", 1, At, output.Rows).Detached();
    }).ToArray();

    private static byte[] AllInShardOrder() => ShardStatistics.Encode(ShardPartial.Merge(Shards.Select(s => s.Statistics!.ToPartial(Cells))));

    [Fact]
    public void Why_subjects_failed_travels_with_each_shard_through_the_ledger_into_the_runs_summary()
    {
        var plan = RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, "hovorka", Size: 40, Seed: 11, Duration: 60, OutputStep: 10, ShardSize: 20,
            Solver: new RunSolverSettings("dormand-prince45", MaxSteps: 2))).Plan!;
        var fold = new ShardStatisticsFold(Cells);
        foreach (var i in new[] { 1, 0 })
        {
            var statistics = RunPlanner.ExecuteShard(plan, i).Statistics!;
            statistics.FailedBy.Should().BeEquivalentTo(new Dictionary<string, long> { ["too-many-steps"] = 20 });
            // As the event stores it (camelCase JSON) and reads it back.
            var stored = System.Text.Json.JsonSerializer.Deserialize<ShardStatistics>(
                System.Text.Json.JsonSerializer.Serialize(statistics, System.Text.Json.JsonSerializerOptions.Web), System.Text.Json.JsonSerializerOptions.Web)!;
            stored.FailedBy.Should().BeEquivalentTo(statistics.FailedBy);
            var (from, to) = plan.ShardRange(i);
            fold.Record(new ShardCompleted("r1", i, from, to, stored, null, null, "test", 1, At));
        }

        var summary = RunSummary.From(fold.MergedWith([])!, plan.Times, plan.Outputs, [50], plan.Outputs);
        summary.Failed.Should().Be(40);
        summary.FailedBy.Should().BeEquivalentTo(new Dictionary<string, long> { ["too-many-steps"] = 40 });
        RunSummary.From(ShardPartial.Merge(Shards.Select(s => s.Statistics!.ToPartial(Cells))), Plan.Times, Plan.Outputs, [50], Plan.Outputs)
            .FailedBy.Should().BeNull("no subject of the default run fails");
    }

    [Fact]
    public void Shards_recorded_in_any_order_merge_to_the_bits_of_all_shards_merged_in_order_keeping_only_those_ahead_of_a_gap()
    {
        Plan.Shards.Should().Be(7);
        var fold = new ShardStatisticsFold(Cells);
        var steps = new List<(int Shard, int Merged, int Waiting)>();
        foreach (var i in new[] { 3, 0, 6, 1, 0, 2, 3, 5, 4 })
        {
            fold.Record(Shards[i]);
            steps.Add((i, fold.Merged, fold.Waiting));
        }
        steps.Should().Equal((3, 0, 1), (0, 1, 1), (6, 1, 2), (1, 2, 2), (0, 2, 2), (2, 4, 1), (3, 4, 1), (5, 4, 2), (4, 7, 0));
        ShardStatistics.Encode(fold.MergedWith([])!).Should().Equal(AllInShardOrder());
    }

    /// <summary>
    /// The completion merges what is recorded with the shards it records itself, and is remembered: asking again (after
    /// an append that failed, say) gives the same bits, whatever the order of the shards given, and a shard recorded
    /// afterwards (the one that completed the run, once its append succeeded) changes nothing.
    /// </summary>
    [Fact]
    public void The_completion_merges_the_unrecorded_shards_once_and_is_remembered()
    {
        var fold = new ShardStatisticsFold(Cells);
        foreach (var i in new[] { 1, 0, 2, 5 }) fold.Record(Shards[i]);
        (fold.Merged, fold.Waiting).Should().Be((3, 1));
        var first = ShardStatistics.Encode(fold.MergedWith([Shards[6], Shards[4], Shards[3]])!);
        first.Should().Equal(AllInShardOrder());
        (fold.Merged, fold.Waiting).Should().Be((7, 0));
        ShardStatistics.Encode(fold.MergedWith([Shards[3], Shards[4], Shards[6]])!).Should().Equal(first);
        foreach (var shard in Shards) fold.Record(shard);
        ShardStatistics.Encode(fold.MergedWith([])!).Should().Equal(first);
        // A shard both recorded and passed as unrecorded counts once.
        var again = new ShardStatisticsFold(Cells);
        foreach (var i in new[] { 0, 1, 5 }) again.Record(Shards[i]);
        ShardStatistics.Encode(again.MergedWith([Shards[5], Shards[6], Shards[4], Shards[3], Shards[2], Shards[0]])!).Should().Equal(first);
    }

    [Fact]
    public void A_shard_without_statistics_leaves_the_run_without_a_summary()
    {
        var fold = new ShardStatisticsFold(Cells);
        fold.Record(Shards[0]);
        fold.Record(Shards[1] with { Statistics = null });
        fold.MergedWith([.. Shards[2..]]).Should().BeNull();
        var other = new ShardStatisticsFold(Cells);
        other.MergedWith([Shards[0], Shards[1] with { Statistics = null }]).Should().BeNull();
        other.MergedWith([]).Should().BeNull("no shard, no statistics");
    }

    /// <summary>Recorded shards are replayed on every activation: statistics that cannot be merged never throw there, only when the run would complete.</summary>
    [Fact]
    public void Statistics_that_cannot_be_merged_fail_the_completion_not_the_recording()
    {
        var stats = Shards[1].Statistics!;
        foreach (var bad in new[] { stats with { Format = "dth.partial/1" }, stats with { Data = stats.Data[..40] } })
        {
            var fold = new ShardStatisticsFold(Cells);
            fold.Record(Shards[0]);
            var record = () => fold.Record(Shards[1] with { Statistics = bad });
            record.Should().NotThrow();
            fold.Record(Shards[2]);
            var complete = () => fold.MergedWith([.. Shards[3..]]);
            complete.Should().Throw<InvalidOperationException>().WithMessage("*shard 1*");
        }
    }

    [Fact]
    public void A_completion_with_a_shard_missing_is_refused_not_merged_around_the_gap()
    {
        var fold = new ShardStatisticsFold(Cells);
        fold.Record(Shards[0]);
        fold.Record(Shards[2]);
        var complete = () => fold.MergedWith([.. Shards[3..]]);
        complete.Should().Throw<InvalidOperationException>().WithMessage("Shard 1 is missing*");
        (fold.Merged, fold.Waiting).Should().Be((1, 1), "a refused completion merges nothing");
        fold.Record(Shards[1]);
        ShardStatistics.Encode(fold.MergedWith([.. Shards[3..]])!).Should().Equal(AllInShardOrder());
    }
}
