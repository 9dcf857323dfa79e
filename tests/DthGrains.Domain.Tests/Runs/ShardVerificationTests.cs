using System.Text.Json;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;

namespace DthGrains.Domain.Tests.Runs;

/// <summary>A run checked shard by shard: fingerprints, the recorded shards folded again, sampled re-runs.</summary>
public sealed class ShardVerificationTests
{
    private static readonly RunRequest Cohort = new(RunKind.CohortTrial, "hovorka", Size: 90, Seed: 7, Duration: 120, OutputStep: 30, ShardSize: 20);

    private static readonly RunRequest Sensitivity = new(RunKind.Sensitivity, "bergman", Duration: 60, Size: 40, Seed: 3, ShardSize: 12,
        Uncertain: [new ParameterUncertainty("p2", 0.3), new ParameterUncertainty("p3", 0.3)]);

    private static readonly RunRequest SeveralTargets = Sensitivity with
    {
        SensitivityOf = new SensitivityTarget("G", "mean"), SensitivityAlso = [new SensitivityTarget("G", "min"), new SensitivityTarget("I", "final")],
    };

    private static RunRequest Named(string kind) => kind switch { "cohort" => Cohort, "sensitivity" => Sensitivity, _ => SeveralTargets };

    /// <summary>Every shard executed as a worker does, as the run records it (rows detached, their digest kept), on "silo-{shard % 2}".</summary>
    private static List<RecordedShard> Record(RunPlan plan) =>
        [.. Enumerable.Range(0, plan.Shards).Select(i => RecordedShard.Of(RunPlanner.ExecuteShard(plan, i)
            .ToShard("run-1", i, plan.ShardRange(i), $"silo-{i % 2}", 12.5 * i, DateTimeOffset.UnixEpoch.AddMinutes(i)).Detached()))];

    [Theory]
    [InlineData("cohort")]
    [InlineData("sensitivity")]
    [InlineData("sensitivity of several targets")]
    public void The_recorded_shards_fold_to_the_results_and_each_re_run_shard_gives_its_recorded_fingerprint(string kind)
    {
        var planned = RunPlanner.Plan(Named(kind));
        planned.Problem.Should().BeNull();
        var plan = planned.Plan!;
        var recorded = Record(plan);
        var whole = RunReproduction.Reproduce(plan, 2).Run!;

        var (refolded, problem) = RunReproduction.Refold(plan, recorded);
        problem.Should().BeNull();
        refolded!.ResultHash.Should().Be(whole.ResultHash);
        refolded.Subjects.Should().Be(whole.Subjects);
        refolded.Failed.Should().Be(whole.Failed);
        whole.ShardFingerprints.Should().Equal(recorded.Select(s => s.Fingerprint), "where a shard ran and how long it took are not part of what it gives");
        refolded.ShardFingerprints.Should().Equal(whole.ShardFingerprints);

        var sample = new[] { plan.Shards - 1, 0 };
        var reRun = RunReproduction.ReproduceShards(plan, sample, 2).Fingerprints;
        reRun.Should().Equal((plan.Shards - 1, recorded[^1].Fingerprint), (0, recorded[0].Fingerprint));
    }

    [Fact]
    public void A_shard_with_changed_statistics_or_rows_has_another_fingerprint_and_makes_other_results()
    {
        var plan = RunPlanner.Plan(Cohort).Plan!;
        var recorded = Record(plan);
        var truth = RunReproduction.Refold(plan, recorded).Run!;
        var data = (byte[])recorded[2].Statistics!.Data.Clone();
        // A high bit of the first cell's mean (after the cell count and the accuracy, 1 + 8 bytes, and the cell's count,
        // 1 byte; its seventh byte of eight holds mantissa bits 48 to 51): a shard whose mean is some percent off.
        data[16] ^= 1;
        var changedStatistics = recorded[2] with { Statistics = recorded[2].Statistics! with { Data = data } };
        var changedRows = recorded[3] with { RowsDigest = new string('0', 64) };

        foreach (var (shard, what) in new[] { (changedStatistics, "statistics"), (changedRows, "rows") })
        {
            var forged = recorded.Select(s => s.Shard == shard.Shard ? shard : s).ToList();
            var (run, problem) = RunReproduction.Refold(plan, forged);
            problem.Should().BeNull(what);
            run!.ResultHash.Should().NotBe(truth.ResultHash, what);
            run.ShardFingerprints[shard.Shard].Should().NotBe(recorded[shard.Shard].Fingerprint, what);
            RunReproduction.ReproduceShards(plan, [shard.Shard]).Fingerprints![0].Fingerprint.Should().Be(recorded[shard.Shard].Fingerprint, "the re-run gives what the shard truly gives");
        }
    }

    [Fact]
    public void A_one_ulp_change_the_merge_rounds_away_is_still_another_fingerprint()
    {
        // The lowest bit of a shard's first mean: merging shards (Chan's formula) can round it away, so the result hash
        // alone may not tell; the shard's fingerprint does.
        var plan = RunPlanner.Plan(Cohort).Plan!;
        var recorded = Record(plan);
        var data = (byte[])recorded[2].Statistics!.Data.Clone();
        data[10] ^= 1;
        var forged = recorded[2] with { Statistics = recorded[2].Statistics! with { Data = data } };
        ShardFingerprint.Of(forged.ToShardCompleted("run-1")).Should().NotBe(recorded[2].Fingerprint);
    }

    [Fact]
    public void The_fingerprint_binds_the_shard_index_and_range_but_not_where_or_when_it_ran()
    {
        var plan = RunPlanner.Plan(Cohort).Plan!;
        var shard = RunPlanner.ExecuteShard(plan, 1).ToShard("run-1", 1, plan.ShardRange(1), "hpc-a", 3, DateTimeOffset.UnixEpoch).Detached();
        var fingerprint = ShardFingerprint.Of(shard);

        ShardFingerprint.Of(shard with { Silo = "data-b", ElapsedMs = 999, CompletedAt = DateTimeOffset.UnixEpoch.AddDays(1), Id = "run-2" }).Should().Be(fingerprint);
        ShardFingerprint.Of(shard with { Shard = 2 }).Should().NotBe(fingerprint);
        ShardFingerprint.Of(shard with { From = 21 }).Should().NotBe(fingerprint);
        ShardFingerprint.Of(shard with { Statistics = shard.Statistics! with { Failed = 1 } }).Should().NotBe(fingerprint);
        ShardFingerprint.Of(shard with { Statistics = shard.Statistics! with { FailedBy = new Dictionary<string, long> { ["non-finite"] = 1 } } }).Should().NotBe(fingerprint);
    }

    [Fact]
    public void A_recorded_shard_keeps_its_fingerprint_through_json()
    {
        var plan = RunPlanner.Plan(Sensitivity).Plan!;
        var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        foreach (var shard in Record(plan).Concat(Record(RunPlanner.Plan(Cohort).Plan!)).Concat(Record(RunPlanner.Plan(SeveralTargets).Plan!)))
        {
            var read = JsonSerializer.Deserialize<RecordedShard>(JsonSerializer.Serialize(shard, web), web)!;
            ShardFingerprint.Of(read.ToShardCompleted("any")).Should().Be(shard.Fingerprint);
        }
    }

    [Fact]
    public void Recorded_shards_that_are_not_the_plan_s_are_refused_with_the_shard_named()
    {
        var plan = RunPlanner.Plan(Cohort).Plan!;
        var recorded = Record(plan);

        RunReproduction.Refold(plan, recorded.Where(s => s.Shard != 2).ToList()).Problem!.Detail.Should().Contain("shard 2 is not among the 4 recorded");
        RunReproduction.Refold(plan, [.. recorded, recorded[0] with { Shard = 5 }]).Problem!.Detail.Should().Contain("shard 5 was recorded too");
        RunReproduction.Refold(plan, recorded.Select(s => s.Shard == 1 ? s with { To = s.To + 1 } : s).ToList()).Problem!.Detail.Should().Contain("Shard 1");
        var undecodable = recorded.Select(s => s.Shard == 4 ? s with { Statistics = s.Statistics! with { Format = "dth.partial/1" } } : s).ToList();
        RunReproduction.Refold(plan, undecodable).Problem!.Detail.Should().Contain("shard 4");
        // A shard recorded twice counts once, as the run counted it: the first of its index.
        RunReproduction.Refold(plan, [.. recorded, recorded[1] with { RowsDigest = new string('0', 64) }]).Run!.ResultHash
            .Should().Be(RunReproduction.Refold(plan, recorded).Run!.ResultHash);
    }

    [Fact]
    public void A_sample_is_distinct_shards_in_order_and_its_chance_of_catching_false_ones_is_hypergeometric()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 200; trial++)
        {
            var sample = ShardSample.Choose(40, 6, random);
            sample.Should().HaveCount(6).And.OnlyHaveUniqueItems().And.BeInAscendingOrder();
            sample.Should().OnlyContain(s => s >= 0 && s < 40);
        }
        ShardSample.Choose(3, 10, random).Should().Equal(0, 1, 2);

        // Every shard is drawn about equally often.
        var counts = new int[10];
        for (int trial = 0; trial < 5000; trial++)
            foreach (var s in ShardSample.Choose(10, 3, random)) counts[s]++;
        counts.Should().OnlyContain(c => c > 1350 && c < 1650, "each of 10 shards is in a sample of 3 with probability 0.3 (1,500 of 5,000)");

        ShardSample.Detection(100, 10, 1).Should().BeApproximately(0.1, 1e-12);
        // 1 − C(8, 2)/C(10, 2) = 1 − 28/45.
        ShardSample.Detection(10, 2, 2).Should().BeApproximately(1 - 28.0 / 45, 1e-12);
        ShardSample.Detection(10, 9, 2).Should().Be(1);
        ShardSample.Detection(10, 3, 0).Should().Be(0);
    }

    [Fact]
    public void The_sample_to_catch_a_share_of_false_shards_is_the_smallest_whose_chance_reaches_the_confidence()
    {
        // 10 shards, 3 false: 5 drawn catch one with 1 − C(7,5)/C(10,5) = 1 − 21/252 = 0.917; 6 with 1 − 7/210 = 0.967.
        ShardSample.SizeToCatch(10, 3, 0.95).Should().Be(6);
        ShardSample.Detection(10, 6, 3).Should().BeGreaterThanOrEqualTo(0.95);
        ShardSample.Detection(10, 5, 3).Should().BeLessThan(0.95);
        ShardSample.SizeToCatch(10, 3, 0.9).Should().Be(5);
        // One false shard in 40 is caught with 95% only by 38 shards; certainty needs all but none fewer than every shard.
        ShardSample.SizeToCatch(40, 1, 0.95).Should().Be(38);
        ShardSample.SizeToCatch(40, 1, 1).Should().Be(40);
        ShardSample.SizeToCatch(1, 1, 0.95).Should().Be(1);
        foreach (var (n, r, c) in new[] { (100, 5, 0.95), (100, 10, 0.99), (400, 4, 0.5), (7, 2, 0.8) })
        {
            var k = ShardSample.SizeToCatch(n, r, c);
            ShardSample.Detection(n, k, r).Should().BeGreaterThanOrEqualTo(c, $"{k} of {n} with {r} false");
            ShardSample.Detection(n, k - 1, r).Should().BeLessThan(c, $"{k - 1} of {n} with {r} false is not enough");
        }

        ShardSample.FalseShardsIn(40, 0.05).Should().Be(2);
        ShardSample.FalseShardsIn(40, 0.051).Should().Be(3, "a share is rounded up: fewer would not be that share");
        ShardSample.FalseShardsIn(10, 0.3).Should().Be(3, "0.3 × 10 is 3 even in binary floating point");
        ShardSample.FalseShardsIn(10, 0.01).Should().Be(1);
    }

    [Theory]
    [InlineData("5%", 0.05, 0.95)]
    [InlineData("5%@99%", 0.05, 0.99)]
    [InlineData("0.1@0.9", 0.1, 0.9)]
    [InlineData(" 2.5% @ 80% ", 0.025, 0.8)]
    [InlineData("100%@100%", 1.0, 1.0)]
    public void A_catch_target_reads_as_percentages_or_fractions(string text, double fraction, double confidence)
    {
        var (f, c, error) = ShardSample.ParseTarget(text);
        error.Should().BeNull();
        f.Should().BeApproximately(fraction, 1e-12);
        c.Should().BeApproximately(confidence, 1e-12);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("0%")]
    [InlineData("150%")]
    [InlineData("5%@0")]
    [InlineData("5%@95%@99%")]
    [InlineData("NaN")]
    [InlineData("five percent")]
    public void A_catch_target_that_is_no_share_is_refused_saying_what_is_expected(string text) =>
        ShardSample.ParseTarget(text).Error.Should().Contain("e.g. 5% or 5%@99%");
}
