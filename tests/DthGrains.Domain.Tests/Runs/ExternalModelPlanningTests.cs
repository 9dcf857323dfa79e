using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Models.External;

namespace DthGrains.Domain.Tests.Runs;

/// <summary>
/// Runs of external models plan and execute through the same path as the engine's (sweeps, sensitivity studies), and a
/// silo without the code refuses its shards saying so. Models here are registered in this process's library once.
/// </summary>
public sealed class ExternalModelPlanningTests
{
    // Both scripts' models take the same interface: y over t in minutes, parameters k (varying between individuals) and c.
    private const string LinearInterface = """
        "timeUnit": "min",
        "parameters": [ { "name": "k", "value": 1, "lower": 0, "upper": 2, "cohortCv": 0.2 }, { "name": "c", "value": 0.5, "lower": 0, "upper": 1 } ],
        "outputs": [ { "name": "y" } ], "scenarios": [ { "name": "reference", "duration": 10 } ]
        """;

    private static readonly Lazy<string> Folder = new(() =>
    {
        var root = Directory.CreateTempSubdirectory("dth-external-planning-").FullName;
        // linear: y = k·t + c, by a shell script (sed and awk start in milliseconds; a sensitivity study starts a process per evaluation).
        Install(root, "linear", "y = k t + c", """
            in=$(cat)
            k=$(printf '%s' "$in" | sed 's/.*"k":\([^,}]*\).*/\1/')
            c=$(printf '%s' "$in" | sed 's/.*"c":\([^,}]*\).*/\1/')
            printf '%s' "$in" | sed 's/.*"times":\[\([^]]*\)\].*/\1/' |
              awk -v k="$k" -v c="$c" -F, '{ printf "{\"outputs\":{\"y\":["; for (i = 1; i <= NF; i++) printf "%s%.17g", (i > 1 ? "," : ""), k * $i + c; printf "]}}" }'
            """);
        // noise: y = seed / 2^53 at every time, whatever its parameters (a code whose output is all its own randomness).
        Install(root, "noise", "y = its seed, scaled", """
            seed=$(sed -n 's/.*"seed":\([0-9]*\).*/\1/p')
            awk -v s="$seed" 'BEGIN { v = s / 9007199254740992; printf "{\"outputs\":{\"y\":[%.17g,%.17g]}}", v, v }'
            """);
        // batched: y = k·t + c as linear, by a Python code that takes subjects in batches and notes each process's size.
        var batched = Directory.CreateDirectory(Path.Combine(root, "batched")).FullName;
        var batchScript = Path.Combine(batched, "batched.py");
        File.WriteAllText(batchScript, """
            #!/usr/bin/env python3
            import json, os, sys
            request = json.load(sys.stdin)
            with open(os.path.join(os.environ["DTH_MODEL_DIR"], "starts"), "a") as f:
                f.write(str(len(request["subjects"])) + "\n")
            answers = [{"outputs": {"y": [s["parameters"]["k"] * t + s["parameters"]["c"] for t in request["times"]]}} for s in request["subjects"]]
            json.dump({"answers": answers}, sys.stdout)
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(batchScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(batched, "batched.model.json"),
            $$"""{ "id": "batched-test", "version": "1.0.0", "title": "y = k t + c, in batches", {{LinearInterface}}, "executor": { "command": "batched.py", "batchSize": 16 } }""");
        var absent = Directory.CreateDirectory(Path.Combine(root, "absent")).FullName;
        File.WriteAllText(Path.Combine(absent, "absent.model.json"), """
            { "id": "absent-test", "version": "1.0.0", "title": "code elsewhere", "timeUnit": "s",
              "parameters": [ { "name": "a", "value": 1, "lower": 0, "upper": 2, "cohortCv": 0.1 } ], "outputs": [ { "name": "b" } ],
              "scenarios": [ { "name": "reference", "duration": 1 } ], "executor": { "command": "solver-on-the-hpc-node-only" } }
            """);
        foreach (var model in ExternalModel.LoadFolder(root)) ModelLibrary.Register(model);
        return root;
    });

    /// <summary>Model <c><paramref name="name"/>-test</c> of <see cref="LinearInterface"/>, run by a shell script with <paramref name="script"/> as its body.</summary>
    private static void Install(string root, string name, string title, string script)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        var path = Path.Combine(folder, name + ".sh");
        File.WriteAllText(path, "#!/bin/sh\n" + script + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(folder, name + ".model.json"),
            $$"""{ "id": "{{name}}-test", "version": "1.0.0", "title": "{{title}}", {{LinearInterface}}, "executor": { "command": "{{name}}.sh" } }""");
    }

    private static RunPlan PlanOf(RunRequest request)
    {
        _ = Folder.Value;
        var (plan, problem) = RunPlanner.Plan(request);
        plan.Should().NotBeNull(problem?.Detail + string.Join("; ", problem?.Errors?.SelectMany(e => e.Value) ?? []));
        return plan!;
    }

    [Fact]
    public void A_sweep_of_an_external_model_gives_each_design_points_rows()
    {
        var plan = PlanOf(new RunRequest(RunKind.Sweep, "linear-test", OutputStep: 5, Ranges: [new ParameterRange("k", 0, 2)], PointsPerAxis: 5));
        plan.Times.Should().Equal(0, 5, 10);
        plan.Shards.Should().Be(5, "an external model's subjects are costly: small shards spread them over the worker slots");
        var rows = Enumerable.Range(0, plan.Shards).SelectMany(i => RunPlanner.ExecuteShard(plan, i).Rows!.Data).ToArray();
        var width = 4; // min, mean, max, final of y
        var finals = Enumerable.Range(0, 5).Select(i => BitConverter.ToDouble(rows, (i * width + 3) * sizeof(double))).ToArray();
        finals.Should().Equal(0.5, 5.5, 10.5, 15.5, 20.5);
    }

    [Fact]
    public void A_sensitivity_study_of_an_external_model_finds_the_parameter_that_matters()
    {
        var plan = PlanOf(new RunRequest(RunKind.Sensitivity, "linear-test", OutputStep: 10, Size: 16, Seed: 3,
            Ranges: [new ParameterRange("k", 0, 2), new ParameterRange("c", 0, 1)], SensitivityOf: new SensitivityTarget("y", "final")));
        var sums = Enumerable.Range(0, plan.Shards).Select(i => RunPlanner.ExecuteShard(plan, i).SensitivitySums!).ToList();
        var result = RunPlanner.SensitivityOf(plan, sums);
        result.Inputs.Should().Equal("k", "c");
        // final y = 10 k + c: Var(10 k) = 100/3 against Var(c) = 1/12, so k carries some 99.75% of the variance.
        result.Total[0].Should().BeGreaterThan(0.9);
        result.Total[1].Should().BeLessThan(0.1);
    }

    [Fact]
    public void A_stochastic_codes_subjects_draw_their_own_seeds_and_a_sensitivity_studys_base_sample_shares_one()
    {
        var cohort = PlanOf(new RunRequest(RunKind.CohortTrial, "noise-test", OutputStep: 10, Size: 6, Seed: 11));
        var finals = Enumerable.Range(0, cohort.Shards).SelectMany(i => RunPlanner.ExecuteShard(cohort, i).Rows!.Data.Chunk(sizeof(double)))
            .Select(b => BitConverter.ToDouble(b)).Where((_, i) => i % 4 == 3).ToArray();
        finals.Should().Equal(Enumerable.Range(0, 6).Select(i => SubjectIdentity.Of(11, i).Seed / (double)SubjectIdentity.SeedLimit),
            "subject i of a run with seed 11 is sent SubjectIdentity.Of(11, i), whichever shard runs it");

        // The d + 2 evaluations of a base sample get its seed: a code's own noise cancels in the estimators' differences
        // (every f(A) − f(A_B^i) is 0 here), so it neither invents an influence nor hides one. The spread between base
        // samples remains (the variance).
        var study = PlanOf(new RunRequest(RunKind.Sensitivity, "noise-test", OutputStep: 10, Size: 8, Seed: 3,
            Ranges: [new ParameterRange("k", 0, 2), new ParameterRange("c", 0, 1)], SensitivityOf: new SensitivityTarget("y", "final")));
        var result = RunPlanner.SensitivityOf(study, Enumerable.Range(0, study.Shards).Select(i => RunPlanner.ExecuteShard(study, i).SensitivitySums!));
        result.Total.Should().Equal(0, 0);
        result.FirstOrder.Should().Equal(0, 0);
        result.Variance.Should().BePositive();
    }

    [Fact]
    public void A_sensitivity_study_of_a_batch_code_takes_each_base_samples_evaluations_in_one_process_and_finds_what_the_per_subject_code_finds()
    {
        RunRequest Study(string model) => new(RunKind.Sensitivity, model, OutputStep: 10, Size: 8, Seed: 3,
            Ranges: [new ParameterRange("k", 0, 2), new ParameterRange("c", 0, 1)], SensitivityOf: new SensitivityTarget("y", "final"));
        SensitivityResult Indices(RunPlan plan) => RunPlanner.SensitivityOf(plan, Enumerable.Range(0, plan.Shards).Select(i => RunPlanner.ExecuteShard(plan, i).SensitivitySums!));
        var batched = Indices(PlanOf(Study("batched-test")));
        File.ReadAllLines(Path.Combine(Folder.Value, "batched", "starts")).Should().Equal(Enumerable.Repeat("4", 8), "8 base samples, each of its d + 2 = 4 evaluations in one process");
        var linear = Indices(PlanOf(Study("linear-test")));
        // The same numbers to the last bits (one code is awk, the other Python).
        batched.Total.Zip(linear.Total).Should().OnlyContain(x => Math.Abs(x.First!.Value - x.Second!.Value) < 1e-12);
        batched.FirstOrder.Zip(linear.FirstOrder).Should().OnlyContain(x => Math.Abs(x.First!.Value - x.Second!.Value) < 1e-12);
    }

    [Theory]
    [InlineData(1000, 64, 64)]
    [InlineData(40, 64, 40)]
    [InlineData(5000, 64, 128)]
    [InlineData(100_000, 64, 1600)]
    public void A_batch_codes_shards_hold_whole_batches(long subjects, int batchSize, int shardSize) =>
        RunPlanner.ExternalShardSize(subjects, cells: 97, batchSize).Should().Be(shardSize);

    [Theory]
    [InlineData(40, 1, 40)]
    [InlineData(5000, 79, 64)]
    [InlineData(1_000_000, 2000, 500)]
    public void An_external_models_cohort_is_cut_into_small_shards_unless_the_request_says_otherwise(int size, int shardSize, int shards)
    {
        var plan = PlanOf(new RunRequest(RunKind.CohortTrial, "linear-test", Size: size, Seed: 1));
        (plan.ShardSize, plan.Shards).Should().Be((shardSize, shards));
        plan.Request.ShardSize.Should().Be(shardSize, "the normalised request records it");
        PlanOf(new RunRequest(RunKind.CohortTrial, "linear-test", Size: size, Seed: 1, ShardSize: 500)).ShardSize.Should().Be(500);
        PlanOf(new RunRequest(RunKind.CohortTrial, "hovorka", Size: 5000, Seed: 1)).ShardSize.Should().Be(625, "the engine's models keep their larger batches");
    }

    [Fact]
    public void A_silo_without_the_code_plans_the_run_but_refuses_its_shards_saying_where_the_code_is_missing()
    {
        var plan = PlanOf(new RunRequest(RunKind.CohortTrial, "absent-test", Size: 4, Seed: 1));
        plan.Subjects.Should().Be(4);
        var act = () => RunPlanner.ExecuteShard(plan, 0);
        act.Should().Throw<InvalidOperationException>().WithMessage("The code of external model 'absent-test' is not installed on this silo*start a silo that has it.");
    }
}
