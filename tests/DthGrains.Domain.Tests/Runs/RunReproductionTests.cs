using DthGrains.Simulation.Models;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Domain.Tests.Runs;

public sealed class RunReproductionTests
{
    private static RunRequest Cohort(ulong seed = 7) =>
        new(RunKind.CohortTrial, "hovorka", Size: 90, Seed: seed, Duration: 120, OutputStep: 30, ShardSize: 20);

    public static TheoryData<string, RunRequest> EveryKind => new()
    {
        { "single", new RunRequest(RunKind.Single, "bergman", Duration: 60) },
        { "scenario-set", new RunRequest(RunKind.ScenarioSet, "bergman", Scenarios: ["reference", "day"], Duration: 120) },
        { "sweep", new RunRequest(RunKind.Sweep, "bergman", Duration: 60, Ranges: [new ParameterRange("p2", 0.01, 0.03)], PointsPerAxis: 9, ShardSize: 3) },
        { "monte-carlo", new RunRequest(RunKind.MonteCarlo, "bergman", Duration: 60, Size: 40, Seed: 5, Uncertain: [new ParameterUncertainty("p2", 0.3)], ShardSize: 10) },
        { "cohort-trial", Cohort() },
        // A cohort seeded from a dataset: its recorded request carries the fitted seed, so no data is read to reproduce it.
        { "seeded-cohort", Cohort() with { Purpose = "scientific-research", CohortFrom = new CohortSeed("charite-t1d-synthetic", "1.0.0", 5, 0, CohortSeeding.Method,
            [new SeedDistribution("BW", 82.5, 0.15), new SeedDistribution("EGP0", 0.02, 0.3), new SeedDistribution("SID", 6e-4, 0.4),
             new SeedDistribution("SIE", 0.04, 0.2), new SeedDistribution("SIT", 3e-3, 0.5), new SeedDistribution("tmaxG", 45, 0.1)]) } },
        { "sensitivity", new RunRequest(RunKind.Sensitivity, "bergman", Duration: 60, Size: 40, Seed: 3, ShardSize: 40,
            Uncertain: [new ParameterUncertainty("p2", 0.3), new ParameterUncertainty("p3", 0.3)]) },
    };

    private static ReproducedRun Reproduce(RunRequest request, int parallel = -1)
    {
        var (run, problem) = RunReproduction.Reproduce(request, parallel);
        problem.Should().BeNull();
        return run!;
    }

    [Theory]
    [MemberData(nameof(EveryKind))]
    public void A_run_reproduces_bit_for_bit_from_its_recorded_request_however_many_shards_run_at_once(string kind, RunRequest request)
    {
        var plan = RunPlanner.Plan(request).Plan!;
        var one = Reproduce(request, 1);
        var three = Reproduce(request, 3);
        // What the platform records is the normalised request; re-planning it must give the same request and results.
        var recorded = Reproduce(plan.Request);

        one.RequestHash.Should().Be(plan.RequestHash, kind);
        recorded.RequestHash.Should().Be(plan.RequestHash, "the normalised request plans to itself");
        three.ResultHash.Should().Be(one.ResultHash);
        recorded.ResultHash.Should().Be(one.ResultHash);
        one.Shards.Should().Be(plan.Shards);
        one.Subjects.Should().Be(plan.Subjects);
        if (request.Kind == RunKind.Sensitivity)
        {
            three.Sensitivity!.FirstOrder.Should().Equal(one.Sensitivity!.FirstOrder);
            one.Summary.Should().BeNull();
        }
        else
        {
            three.Summary!.Mean.Should().Equal(one.Summary!.Mean);
            three.Summary.Bands.Should().Equal(one.Summary.Bands);
        }
    }

    [Fact]
    public void The_reproduced_means_are_those_of_each_subject_solved_alone()
    {
        // Independent of the shard runner, its statistics and the fold: every subject drawn and solved by the engine directly.
        var plan = RunPlanner.Plan(Cohort()).Plan!;
        var subjects = RunPlanner.SubjectsOf(plan);
        int nt = plan.Times.Length, ny = plan.Outputs.Length;
        var sums = new double[nt * ny];
        var workspace = new SimulationWorkspace((ModelDefinition)plan.Model, plan.Solver, plan.Times);
        var parameters = new double[plan.Model.Info.Parameters.Count];
        var outputs = new double[nt * ny];
        for (long i = 0; i < plan.Subjects; i++)
        {
            subjects.Parameters(i, parameters);
            workspace.Solve(subjects.ScenarioOf(i), parameters, outputs).Should().Be(IntegrationStatus.Completed);
            for (int t = 0; t < nt; t++)
                for (int y = 0; y < ny; y++) sums[y * nt + t] += outputs[t * ny + y];
        }

        var reproduced = Reproduce(Cohort());
        reproduced.Summary!.Individuals.Should().Be(90);
        reproduced.Failed.Should().Be(0);
        for (int cell = 0; cell < nt * ny; cell++)
            reproduced.Summary.Mean[cell]!.Value.Should().BeApproximately(sums[cell] / plan.Subjects, 1e-9 * Math.Max(1, Math.Abs(sums[cell] / plan.Subjects)), $"cell {cell}");
    }

    [Fact]
    public void Another_seed_gives_other_results_and_another_request_hash()
    {
        var seven = Reproduce(Cohort(7));
        var eight = Reproduce(Cohort(8));
        eight.RequestHash.Should().NotBe(seven.RequestHash);
        eight.ResultHash.Should().NotBe(seven.ResultHash);
    }

    [Fact]
    public void Progress_counts_up_to_every_subject()
    {
        long highest = 0;
        var (run, _) = RunReproduction.Reproduce(Cohort(), 2, done => { lock (this) highest = Math.Max(highest, done); });
        highest.Should().Be(run!.Subjects);
    }

    [Fact]
    public void A_cancelled_reproduction_stops_with_the_cancellation()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        FluentActions.Invoking(() => RunReproduction.Reproduce(Cohort(), 2, ct: cancelled.Token)).Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void A_request_the_planner_refuses_or_a_cohort_never_seeded_is_not_reproduced()
    {
        RunReproduction.Reproduce(Cohort() with { Size = -1 }).Problem!.Errors!.Keys.Should().Contain("size");
        var unseeded = Cohort() with { CohortFrom = new CohortSeed("charite-t1d-synthetic"), Purpose = "scientific-research" };
        var (run, problem) = RunReproduction.Reproduce(unseeded);
        run.Should().BeNull();
        problem!.Errors!.Keys.Should().Contain("cohortFrom");
        var (shards, shardsProblem) = RunReproduction.ReproduceShards(RunPlanner.Plan(unseeded).Plan!, [0]);
        shards.Should().BeNull("a sample of shards draws subjects as the whole run does");
        shardsProblem!.Errors!.Keys.Should().Contain("cohortFrom");
    }
}
