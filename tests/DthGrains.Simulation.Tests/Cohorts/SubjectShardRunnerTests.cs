using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Tests.Cohorts;

public class SubjectShardRunnerTests
{
    private static readonly double[] Grid = Enumerable.Range(0, 55).Select(i => i * 10.0).ToArray();

    /// <summary>Subjects [from, to) of a Hovorka cohort of 2,000 drawn with <paramref name="seed"/>, over 9 hours every 10 minutes.</summary>
    private static ShardPartial Run(ulong seed, long from, long to, int threads = 1)
    {
        var model = new HovorkaModel();
        var scenario = CompiledScenario.Compile(model.Info, model.ReferenceScenario);
        var subjects = new SampledSubjects(new CohortSampler(model.Info, model.DefaultParameters()), seed, 2000, scenario);
        return new SubjectShardRunner(model, new SolverOptions(), Grid, subjects).Run(from, to, maxDegreeOfParallelism: threads);
    }

    private static CohortSummary Bands(ShardPartial p, double[] percentiles) =>
        p.Summarise(Grid, [.. new HovorkaModel().Info.Outputs.Select(o => o.Name)], percentiles);

    [Fact]
    public void Results_do_not_depend_on_threads_or_sharding_schedule()
    {
        var one = Run(7, 0, 1200, threads: 1);
        var many = Run(7, 0, 1200, threads: 4);
        one.Moments.Select(m => m.Mean).Should().Equal(many.Moments.Select(m => m.Mean));
        one.Moments.Select(m => m.M2).Should().Equal(many.Moments.Select(m => m.M2));
        Bands(one, [5, 50, 95]).Bands.Should().Equal(Bands(many, [5, 50, 95]).Bands);
        one.Individuals.Should().Be(1200);
    }

    [Theory]
    [InlineData(37, 10.0, 280)] // a chunk's outputs in one block
    [InlineData(4321, 0.5, 100)] // a fine grid: 15 subjects a block, several blocks a chunk
    public void A_shard_runner_gives_the_statistics_of_adding_each_subject_in_order_chunk_by_chunk_on_one_thread_or_many(int points, double step, int count)
    {
        // The reference: each chunk's subjects in order, their outputs added a block at a time as the runner cuts its blocks
        // (a chunk, or fewer subjects on a fine grid), then chunks merged in order.
        var model = new HovorkaModel();
        var scenario = CompiledScenario.Compile(model.Info, model.ReferenceScenario);
        var times = Enumerable.Range(0, points).Select(i => i * step).ToArray();
        var subjects = new SampledSubjects(new CohortSampler(model.Info, model.DefaultParameters()), 11, count + 20, scenario);
        int ny = model.Info.Outputs.Count, cells = times.Length * ny;
        var workspace = new DthGrains.Simulation.Engine.SimulationWorkspace(model, new SolverOptions(), times);
        var (p, y) = (new double[model.Info.Parameters.Count], new double[cells]);
        var reference = new ShardAccumulator(cells);
        (points * ny < SubjectShardRunner.MaxBlockDoubles / SubjectShardRunner.ChunkSize).Should().Be(points < 1000, "the cases are the ones they say");
        int end = 10 + count, blockRows = Math.Min(SubjectShardRunner.ChunkSize, SubjectShardRunner.MaxBlockDoubles / cells);
        for (int from = 10; from < end; from += SubjectShardRunner.ChunkSize)
        {
            var chunk = new ShardAccumulator(cells);
            var rows = new List<double[]>();
            for (int i = from; i < Math.Min(end, from + SubjectShardRunner.ChunkSize); i++)
            {
                subjects.Parameters(i, p);
                if (workspace.Solve(scenario, p, y) == IntegrationStatus.Completed) rows.Add((double[])y.Clone());
                else chunk.Failed++;
            }
            foreach (var block in rows.Chunk(blockRows))
                chunk.AddBlock(block.SelectMany(r => r).ToArray(), block.Length, cells, times.Length, ny);
            reference.Merge(chunk.ToPartial());
        }
        var expected = reference.ToPartial();
        foreach (var threads in new[] { 1, 3 })
        {
            var actual = new SubjectShardRunner(model, new SolverOptions(), times, subjects).Run(10, end, new double[count * 4 * ny], threads);
            actual.Individuals.Should().Be(expected.Individuals);
            actual.Failed.Should().Be(expected.Failed);
            actual.Moments.Should().Equal(expected.Moments, $"{threads} thread(s): bit for bit");
            for (int k = 0; k < cells; k++)
                actual.Histograms[k].Positive.Counts.ToArray().Should().Equal(expected.Histograms[k].Positive.Counts.ToArray());
        }
    }

    [Theory]
    [InlineData(1e-300, 1e-300, 1_000_000, nameof(SolveFailures.StepSizeTooSmall))]
    [InlineData(1e-6, 1e-9, 3, nameof(SolveFailures.TooManySteps))]
    public void A_shard_runner_counts_each_failed_subject_by_why_it_failed(double rtol, double atol, int maxSteps, string reason)
    {
        var model = new HovorkaModel();
        var scenario = CompiledScenario.Compile(model.Info, model.ReferenceScenario);
        var times = Enumerable.Range(0, 10).Select(i => i * 30.0).ToArray();
        var subjects = new SampledSubjects(new CohortSampler(model.Info, model.DefaultParameters()), 3, 100, scenario);
        var solver = new SolverOptions(SolverKind.DormandPrince45, rtol, atol, MaxSteps: maxSteps);

        var width = model.Info.Outputs.Count * SubjectShardRunner.SummaryPerOutput;
        var rows = new double[100 * width];
        var partial = new SubjectShardRunner(model, solver, times, subjects).Run(0, 100, rows, 3);

        partial.Failed.Should().Be(100);
        partial.Individuals.Should().Be(0);
        partial.Failures.Total.Should().Be(100);
        // Each subject is counted once, under how its solve ended (an impossible tolerance can also exhaust the steps first).
        var counts = partial.Failures.ToDictionary()!;
        ((long)typeof(SolveFailures).GetProperty(reason)!.GetValue(partial.Failures)!).Should().BeGreaterThan(90, string.Join(", ", counts.Select(p => $"{p.Key}={p.Value}")));
        counts.Values.Sum().Should().Be(100);
        // Each subject's row says the same: NaN throughout, the first value carrying the reason the counts give.
        var perRow = Enumerable.Range(0, 100).Select(r => SolveFailures.ReasonOf(rows[r * width])).ToList();
        perRow.GroupBy(r => r!).ToDictionary(g => g.Key, g => (long)g.Count()).Should().Equal(counts);
        rows.Should().AllSatisfy(v => double.IsNaN(v).Should().BeTrue());

        // Merged shards add their reasons; a shard without failures has none to show.
        var merged = ShardPartial.Merge([partial, new SubjectShardRunner(model, new SolverOptions(), times, subjects).Run(0, 10)]);
        merged.Failures.Total.Should().Be(100);
        merged.Failed.Should().Be(100);
        var completed = new double[10 * width];
        new SubjectShardRunner(model, new SolverOptions(), times, subjects).Run(0, 10, completed).Failures.ToDictionary().Should().BeNull();
        Enumerable.Range(0, 10).Select(r => SolveFailures.ReasonOf(completed[r * width])).Should().AllBeEquivalentTo((string?)null);
    }

    [Fact]
    public void A_failure_marker_names_its_reason_and_any_other_nan_is_unknown()
    {
        foreach (var status in new[] { IntegrationStatus.StepSizeTooSmall, IntegrationStatus.TooManySteps, IntegrationStatus.NonFinite, IntegrationStatus.StoppedAtEvent })
        {
            var marker = SolveFailures.Marker(status);
            double.IsNaN(marker).Should().BeTrue();
            double.IsFinite(marker).Should().BeFalse("every reader takes it for 'no value'");
            SolveFailures.ReasonOf(marker).Should().Be(SolveFailures.Reasons[SolveFailures.ReasonIndex(status)]);
        }
        SolveFailures.ReasonOf(double.NaN).Should().Be(SolveFailures.UnknownReason);
        SolveFailures.ReasonOf(-double.NaN).Should().Be(SolveFailures.UnknownReason);
        SolveFailures.ReasonOf(BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(SolveFailures.Marker(IntegrationStatus.NonFinite)) + 10)).Should().Be(SolveFailures.UnknownReason);
        SolveFailures.ReasonOf(0.0).Should().BeNull();
        SolveFailures.ReasonOf(double.PositiveInfinity).Should().BeNull("not NaN: a number, if not a finite one");
    }

    [Fact]
    public void Failure_reasons_keep_their_counts_through_their_api_names()
    {
        var failures = new SolveFailures(StepSizeTooSmall: 2, TooManySteps: 0, NonFinite: 5, Other: 1);
        failures.ToDictionary().Should().BeEquivalentTo(new Dictionary<string, long> { ["step-size-too-small"] = 2, ["non-finite"] = 5, ["other"] = 1 });
        SolveFailures.From(failures.ToDictionary()).Should().Be(failures);
        SolveFailures.From(new Dictionary<string, long> { ["a-reason-from-later"] = 3 }).Other.Should().Be(3);
        SolveFailures.Reasons.Should().OnlyContain(r => !SolveFailures.Hint(r).StartsWith("the solve stopped short", StringComparison.Ordinal) || r == "other");
    }

    [Fact]
    public void Shards_merge_into_the_statistics_of_the_whole_cohort()
    {
        var whole = Run(9, 0, 1000);
        var merged = ShardPartial.Merge([Run(9, 0, 400), Run(9, 400, 1000)]);
        merged.Individuals.Should().Be(1000);
        for (int i = 0; i < whole.Moments.Length; i++)
        {
            merged.Moments[i].Mean.Should().BeApproximately(whole.Moments[i].Mean, 1e-9 * Math.Abs(whole.Moments[i].Mean) + 1e-12);
            merged.Moments[i].Variance.Should().BeApproximately(whole.Moments[i].Variance, 1e-7 * whole.Moments[i].Variance + 1e-12);
        }
        // The histograms' counts add exactly, whatever the cut: the same bands (the 5th percentile too, which sits at a
        // density gap: the ~6% of patients who cannot reach Gtarget).
        Bands(merged, [5, 25, 50, 75, 95]).Bands.Should().Equal(Bands(whole, [5, 25, 50, 75, 95]).Bands);
    }

    [Fact]
    public void Percentile_bands_are_ordered_and_widen_after_the_meal()
    {
        var summary = Bands(Run(7, 0, 2000), [5, 25, 50, 75, 95]);
        summary.Failed.Should().Be(0);
        int g = 0;
        for (int t = 0; t < summary.Times.Length; t++)
            for (int k = 1; k < 5; k++) summary.Band(g, t, k).Should().BeGreaterThanOrEqualTo(summary.Band(g, t, k - 1));
        // Before the meal the interquartile range is zero: patients start on the basal rate that holds Gtarget. (The low
        // tail is not: in ~6% of draws EGP0 < F01, so even zero insulin cannot hold 6.5 mmol/L and they rest lower.)
        double spreadBefore = summary.Band(g, 5, 3) - summary.Band(g, 5, 1);   // 50 min
        double spreadAfter = summary.Band(g, 18, 3) - summary.Band(g, 18, 1);  // 180 min
        spreadBefore.Should().BeLessThan(1e-3);
        spreadAfter.Should().BeGreaterThan(0.5);
    }
}
