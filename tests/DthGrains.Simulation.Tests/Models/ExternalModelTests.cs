using System.Diagnostics;
using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Models.External;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Tests.Models;

/// <summary>
/// External models: descriptors checked with every problem named, and the executor adapter running real processes (the
/// repository's Python example, and shell scripts that fail, hang, overflow or look for secrets).
/// </summary>
public sealed class ExternalModelTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dth-external-test-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The example external model shipped in silo-config/external-models.</summary>
    public static string ExampleFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DthGrains.sln"))) return Path.Combine(dir.FullName, "silo-config", "external-models");
        throw new InvalidOperationException("DthGrains.sln not found above the test binaries.");
    }

    private static ExternalModel Example() => ExternalModel.Load(Path.Combine(ExampleFolder(), "one-compartment", "one-compartment.model.json"));

    /// <summary>A descriptor with one parameter and one output, run by a shell script with <paramref name="script"/> as its body.</summary>
    /// <param name="executor">further executor fields, for example <c>"memoryMiB": 64</c></param>
    /// <param name="id">the model's id (a test that tells its processes from other tests' by their metrics' model tag sets its own)</param>
    private ExternalModel Scripted(string script, double timeoutSeconds = 60, long maxOutputBytes = 1 << 20, string name = "model", string? executor = null,
        string id = "scripted")
    {
        var dir = Directory.CreateDirectory(Path.Combine(_folder, name)).FullName;
        var path = Path.Combine(dir, "run.sh");
        File.WriteAllText(path, "#!/bin/sh\n" + script + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(dir, "model.json"), $$"""
            {
              "id": "{{id}}", "version": "1.0.0", "title": "a test script", "timeUnit": "min",
              "parameters": [ { "name": "k", "value": 1, "lower": 0, "upper": 2, "source": "test" } ],
              "outputs": [ { "name": "y", "unit": "1" } ],
              "scenarios": [ { "name": "reference", "duration": 10 } ],
              "executor": { "command": "run.sh", "timeoutSeconds": {{timeoutSeconds}}, "maxOutputBytes": {{maxOutputBytes}}{{(executor is null ? "" : ", " + executor)}} }
            }
            """);
        return ExternalModel.Load(Path.Combine(dir, "model.json"));
    }

    private static (IntegrationStatus Status, double[] Outputs, string? Failure) Solve(ExternalModel model, double[] times, double[]? parameters = null,
        string? scenario = null, CancellationToken ct = default, SubjectIdentity subject = default)
    {
        var simulator = (ExternalProcessSimulator)model.CreateSimulator(new SolverOptions(), times);
        var compiled = CompiledScenario.Compile(model.Info, scenario is null ? model.ReferenceScenario : model.FindScenario(scenario)!);
        var y = new double[times.Length * model.Info.Outputs.Count];
        var status = simulator.Solve(compiled, parameters ?? model.DefaultParameters(), y, subject, ct);
        return (status, y, simulator.LastFailure);
    }

    [Fact]
    public void The_example_descriptor_gives_the_models_interface_with_its_cohort_variability_and_a_digest_of_its_code()
    {
        var model = Example();
        model.Info.Id.Should().Be("one-compartment-iv");
        model.Info.TimeUnit.Symbol.Should().Be("h");
        model.Info.Parameters.Select(p => p.Name).Should().Equal("CL", "V", "dose");
        model.Info.Parameters.Select(p => p.Variability is not null).Should().Equal(true, true, false);
        model.Info.Outputs.Select(o => o.Name).Should().Equal("C", "A");
        model.NamedScenarios.Select(s => s.Name).Should().Equal("reference", "daily");
        model.IsInstalled.Should().BeTrue("python3 is on the PATH");
        model.NotRunnableHere.Should().BeNull();
        model.CodeDigest.Should().MatchRegex("^sha256:[0-9a-f]{64}$");
    }

    [Fact]
    public void The_code_digest_changes_with_the_code_and_not_with_where_it_lies()
    {
        var copy = Path.Combine(_folder, "copy");
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(Path.Combine(ExampleFolder(), "one-compartment"))) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        var original = Example().CodeDigest;
        ExternalModel.Load(Path.Combine(copy, "one-compartment.model.json")).CodeDigest.Should().Be(original, "the same files elsewhere are the same code");
        File.AppendAllText(Path.Combine(copy, "one_compartment.py"), "\n# changed\n");
        ExternalModel.Load(Path.Combine(copy, "one-compartment.model.json")).CodeDigest.Should().NotBe(original, "a changed script is another code");
    }

    [Fact]
    public void A_folder_gives_its_descriptors_and_leaves_a_codes_own_json_files_alone()
    {
        var copy = Directory.CreateDirectory(Path.Combine(_folder, "models", "one-compartment")).FullName;
        foreach (var f in Directory.GetFiles(Path.Combine(ExampleFolder(), "one-compartment"))) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(copy, "tables.json"), "[1, 2, 3]");
        ExternalModel.LoadFolder(Path.Combine(_folder, "models")).Select(m => m.Info.Id).Should().BeEquivalentTo("one-compartment-iv", "one-compartment-iv-batch");
        var missing = () => ExternalModel.LoadFolder(Path.Combine(_folder, "nowhere"));
        missing.Should().Throw<DirectoryNotFoundException>().WithMessage("*does not exist (Dth:Runs:ExternalModels)*");
    }

    [Fact]
    public void A_subject_of_the_example_is_the_closed_form_one_compartment_model_under_each_named_scenario()
    {
        var model = Example();
        double[] times = [0, 6, 12, 24, 30, 48, 72];
        double cl = 4, v = 40, dose = 120, k = cl / v;
        var (status, y, failure) = Solve(model, times, [cl, v, dose], "daily");
        status.Should().Be(IntegrationStatus.Completed, failure);
        for (int i = 0; i < times.Length; i++)
        {
            var amount = Enumerable.Range(0, 4).Select(d => d * 24.0).Where(td => td <= times[i]).Sum(td => dose * Math.Exp(-k * (times[i] - td)));
            y[i * 2].Should().BeApproximately(amount / v, 1e-12, "C at t = {0} h", times[i]);
            y[i * 2 + 1].Should().BeApproximately(amount, 1e-10, "A at t = {0} h", times[i]);
        }
        var (_, reference, _) = Solve(model, [24], [cl, v, dose]);
        reference[1].Should().BeApproximately(dose * Math.Exp(-k * 24), 1e-10, "the reference scenario gives one bolus");
    }

    [Fact]
    public void A_cohort_of_an_external_model_runs_through_the_shard_runner_and_is_the_same_twice()
    {
        var model = Example();
        double[] times = [0, 4, 8, 12, 24];
        var scenario = CompiledScenario.Compile(model.Info, model.ReferenceScenario);
        var subjects = new SampledSubjects(new CohortSampler(model.Info, model.DefaultParameters()), 5, 12, scenario);
        var runner = new SubjectShardRunner(model, new SolverOptions(), times, subjects);
        var rows = new double[12 * runner.SummaryWidth];
        var reports = new System.Collections.Concurrent.ConcurrentBag<long>();
        var partial = runner.Run(0, 12, rows, maxDegreeOfParallelism: 2, progress: reports.Add);
        reports.Order().Should().Equal(Enumerable.Range(1, 12).Select(i => (long)i), "an external code's subjects are reported one by one (each may take minutes)");
        partial.Individuals.Should().Be(12);
        partial.Failed.Should().Be(0);
        var again = new double[rows.Length];
        runner.Run(0, 12, again).Moments.Select(m => m.Mean).Should().Equal(partial.Moments.Select(m => m.Mean));
        again.Should().Equal(rows, "an external code that is deterministic gives the same rows however the shard is threaded");
        // Each subject's final concentration is the closed form at its drawn CL and V.
        var p = new double[3];
        for (int i = 0; i < 12; i++)
        {
            subjects.Parameters(i, p);
            var final = rows[i * runner.SummaryWidth + 3];
            final.Should().BeApproximately(p[2] / p[1] * Math.Exp(-p[0] / p[1] * 24), 1e-12);
        }
        rows.Where((_, i) => i % runner.SummaryWidth == 3).Distinct().Should().HaveCount(12, "the subjects differ: CL and V vary between individuals");
    }

    [Fact]
    public void A_failing_process_fails_its_subject_with_its_exit_code_and_standard_error()
    {
        var model = Scripted("echo 'no licence for the solver' >&2\nexit 3", name: "failing");
        var reported = new System.Collections.Concurrent.ConcurrentBag<(string Model, string Reason)>();
        void Report(string id, string reason) => reported.Add((id, reason));
        ExternalModel.ProcessFailed += Report;
        IntegrationStatus status;
        string? failure;
        try
        {
            (status, _, failure) = Solve(model, [0, 5, 10]);
        }
        finally
        {
            ExternalModel.ProcessFailed -= Report;
        }
        status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        failure.Should().Be("exit code 3: no licence for the solver");
        reported.Should().Contain(("scripted", "exit code 3: no licence for the solver"), "what the silo logs (ExternalModelsSetup) is raised with the reason");
        SolveFailures.ReasonOf(SolveFailures.Marker(status)).Should().Be("other");
        SolveFailures.Hint("other").Should().Contain("external model");
    }

    [Theory]
    [InlineData("echo 'not json'", "its output is not JSON*")]
    [InlineData("echo '{\"result\": 1}'", "its output is not a JSON object with an 'outputs' object")]
    [InlineData("echo '{\"outputs\": {\"z\": [1, 2, 3]}}'", "its output has no array 'outputs.y'")]
    [InlineData("echo '{\"outputs\": {\"y\": [1, 2]}}'", "'outputs.y' has 2 values for 3 output times")]
    [InlineData("echo '{\"outputs\": {\"y\": [1, \"2\", 3]}}'", "'outputs.y[1]' is not a number or null")]
    public void An_answer_that_does_not_follow_the_protocol_fails_the_subject_saying_what_is_wrong(string script, string expected)
    {
        var (status, _, failure) = Solve(Scripted("cat > /dev/null\n" + script), [0, 5, 10]);
        status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        failure.Should().Match(expected);
    }

    [Fact]
    public void Null_is_a_missing_value_and_the_process_gets_the_protocol_request_on_standard_input()
    {
        // The script answers with what it was sent: its time grid and its parameter, so the request's shape is checked too.
        var model = Scripted("""
            input=$(cat)
            case "$input" in *'"protocol":"dth.external-model/1"'*'"times":[0,5,10]'*'"scenario":"reference"'*'"parameters":{"k":1.5}'*) ;; *) echo "$input" >&2; exit 9;; esac
            echo '{"outputs": {"y": [0, null, 1.5]}}'
            """);
        var (status, y, failure) = Solve(model, [0, 5, 10], [1.5]);
        status.Should().Be(IntegrationStatus.Completed, failure);
        y[0].Should().Be(0);
        double.IsNaN(y[1]).Should().BeTrue();
        y[2].Should().Be(1.5);
    }

    [Fact]
    public void The_process_sees_only_a_minimal_environment_and_its_models_folder_and_runs_in_a_folder_of_its_own_that_is_removed()
    {
        Environment.SetEnvironmentVariable("DTH_TEST_SECRET", "postgres-password");
        try
        {
            var model = Scripted("""
                cat > /dev/null
                [ -n "$DTH_TEST_SECRET" ] && { echo 'the silo environment leaked' >&2; exit 7; }
                [ -f "$DTH_MODEL_DIR/model.json" ] || { echo "no DTH_MODEL_DIR: $DTH_MODEL_DIR" >&2; exit 8; }
                [ -z "$(ls -A .)" ] || { echo 'working folder not empty' >&2; exit 6; }
                echo "$PWD" > "$DTH_MODEL_DIR/../pwd"
                touch scratch-file
                echo '{"outputs": {"y": [1, 2, 3]}}'
                """);
            var (status, _, failure) = Solve(model, [0, 5, 10]);
            status.Should().Be(IntegrationStatus.Completed, failure);
            var workingFolder = File.ReadAllText(Path.Combine(_folder, "pwd")).Trim();
            Path.GetFileName(workingFolder).Should().StartWith("dth-external-");
            Directory.Exists(workingFolder).Should().BeFalse("the process's folder is removed with what it wrote");
        }
        finally
        {
            Environment.SetEnvironmentVariable("DTH_TEST_SECRET", null);
        }
    }

    [Fact]
    public void A_process_past_its_timeout_is_killed_and_its_subject_fails()
    {
        var (started, marker) = (Path.Combine(_folder, "started"), Marker());
        var model = Scripted($"echo > {started}\nexec sh -c 'sleep 600; :' {marker}", timeoutSeconds: 1);
        var (status, _, failure) = Solve(model, [0, 10]);
        status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        failure.Should().Be("it ran longer than its timeout of 1 s and was killed");
        File.Exists(started).Should().BeTrue("the code ran");
        MarkedProcessesAreGone(marker).Should().BeTrue();
    }

    [Fact]
    public async Task A_cancelled_solve_kills_the_process_and_throws()
    {
        var marker = Marker();
        var model = Scripted($"exec sh -c 'sleep 600; :' {marker}");
        using var cancel = new CancellationTokenSource();
        Func<Task> solve = () => Task.Run(() => Solve(model, [0, 10], ct: cancel.Token));
        var thrown = solve.Should().ThrowAsync<OperationCanceledException>();
        SpinWait.SpinUntil(() => MarkedProcesses(marker).Length > 0, TimeSpan.FromSeconds(30)).Should().BeTrue("the script starts");
        cancel.Cancel();
        await thrown;
        MarkedProcessesAreGone(marker).Should().BeTrue();
    }

    [Fact]
    public async Task A_background_process_the_code_leaves_behind_is_killed_when_it_exits_and_does_not_hold_its_subject()
    {
        // The sleep inherits the standard output: without its own process group, the read would wait for it (10 minutes).
        var (started, marker) = (Path.Combine(_folder, "started"), Marker());
        var model = Scripted($"cat > /dev/null\nsh -c 'echo > {started}; sleep 600; :' {marker} &\n" + WaitFor(started) + "echo '{\"outputs\": {\"y\": [1, 2]}}'");
        // The subject ends when its code exits, not when what the code left behind does (a bound on a hang, not a timing).
        var (status, y, failure) = await Task.Run(() => Solve(model, [0, 10])).WaitAsync(TimeSpan.FromMinutes(2));
        status.Should().Be(IntegrationStatus.Completed, failure);
        y.Should().Equal(1, 2);
        MarkedProcessesAreGone(marker).Should().BeTrue("the code's process group goes with it");
    }

    [Fact]
    public async Task A_daemon_the_code_starts_in_a_session_of_its_own_is_killed_when_the_code_exits()
    {
        // setsid takes the daemon out of the code's process group, which a kill of the group then misses; the code's PID
        // namespace does not let it out: when the code ends, its namespace's first process ends, and the kernel kills the rest.
        var (started, marker) = (Path.Combine(_folder, "started"), Marker());
        var model = Scripted($"cat > /dev/null\nsetsid sh -c 'echo > {started}; sleep 600; :' {marker} < /dev/null > /dev/null 2>&1 &\n" + WaitFor(started) +
            "echo '{\"outputs\": {\"y\": [1, 2]}}'");
        var (status, y, failure) = await Task.Run(() => Solve(model, [0, 10])).WaitAsync(TimeSpan.FromMinutes(2));
        status.Should().Be(IntegrationStatus.Completed, failure);
        y.Should().Equal(1, 2);
        File.Exists(started).Should().BeTrue("the daemon ran");
        MarkedProcessesAreGone(marker).Should().BeTrue("a daemon does not outlive the code that started it");
    }

    [Fact]
    public void A_confined_code_runs_only_once_the_warden_has_it_and_not_at_all_when_its_starter_dies_before()
    {
        RequireNamespaces(mounts: false);
        var ran = Path.Combine(_folder, "ran");
        System.Diagnostics.ProcessStartInfo Start()
        {
            var start = ProcessGroup.StartInfo("/bin/sh", ["-c", $"echo > {ran}; cat"], isolateNetwork: true);
            start.UseShellExecute = false;
            start.RedirectStandardInput = start.RedirectStandardOutput = true;
            return start;
        }

        // A starter that dies between the start and its message to the warden closes the code's input unopened (as here).
        using (var orphan = System.Diagnostics.Process.Start(Start())!)
        {
            orphan.StandardInput.Close();
            orphan.StandardOutput.ReadToEnd().Should().BeEmpty();
            orphan.WaitForExit();
            orphan.ExitCode.Should().Be(125);
        }
        File.Exists(ran).Should().BeFalse("a code nobody watches never runs");

        using var watched = System.Diagnostics.Process.Start(Start())!;
        ProcessGroup.Started(watched);
        watched.StandardInput.BaseStream.Write("the protocol's request\n"u8);
        watched.StandardInput.Close();
        watched.StandardOutput.ReadToEnd().Should().Be("the protocol's request\n", "the code gets its input whole, after the line that let it run");
        watched.WaitForExit();
        ProcessGroup.Ended(watched);
        watched.ExitCode.Should().Be(0);
        File.Exists(ran).Should().BeTrue();
    }

    [Fact]
    public void A_code_sees_no_process_but_its_own_neither_the_silos_nor_other_codes()
    {
        RequireNamespaces(mounts: true);
        // y = how many processes the code finds in /proc: here, the namespace's first process and the code.
        var script = "cat > /dev/null\nn=0; for p in /proc/[0-9]*; do n=$((n+1)); done\necho \"{\\\"outputs\\\": {\\\"y\\\": [$n]}}\"";
        var isolated = Scripted(script, name: "isolated");
        var hiding = Scripted(script, name: "hiding", executor: "\"network\": \"host\"");
        var onThisMachine = Directory.EnumerateDirectories("/proc").Count(d => int.TryParse(Path.GetFileName(d), out _));
        onThisMachine.Should().BeGreaterThan(4, "this test's own process and its parents run here");
        var (status, y, failure) = Solve(isolated, [0]);
        status.Should().Be(IntegrationStatus.Completed, failure);
        y.Should().Equal([2.0], "a code's /proc shows its PID namespace alone (no network, nothing hidden)");
        using var hidden = ExternalModel.HideFromCodes([Directory.CreateDirectory(Path.Combine(_folder, "silo-data")).FullName]);
        foreach (var model in (ExternalModel[])[isolated, hiding])
        {
            (status, y, failure) = Solve(model, [0]);
            status.Should().Be(IntegrationStatus.Completed, failure);
            y.Should().Equal([2.0], "a code's /proc shows its PID namespace alone (network {0}, a folder hidden)", model.NetworkIsolated ? "none" : "host");
        }
    }

    [Fact]
    public void A_code_file_that_is_not_executable_fails_its_subject_saying_how_to_fix_it()
    {
        var model = Scripted("echo '{\"outputs\": {\"y\": [1]}}'", name: "not-executable");
        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(model.Command, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var (status, _, failure) = Solve(model, [0]);
        status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        failure.Should().Be($"'{model.Command}' did not start: it is not executable (chmod +x it, or name its interpreter as the command)");
    }

    /// <summary>A code that answers with the subject index and seed it was sent: y = [subject, seed] at times 0 and 10.</summary>
    private ExternalModel EchoingSubjects() => Scripted("""
        input=$(cat)
        subject=$(printf '%s' "$input" | sed -n 's/.*"subject":\([0-9]*\).*/\1/p')
        seed=$(printf '%s' "$input" | sed -n 's/.*"seed":\([0-9]*\).*/\1/p')
        echo "{\"outputs\": {\"y\": [$subject, $seed]}}"
        """, name: "echoing");

    [Fact]
    public void A_stochastic_code_is_told_its_subject_and_a_seed_that_depends_only_on_the_runs_seed_and_the_subject()
    {
        var model = EchoingSubjects();
        double[] times = [0, 10];
        var subjects = new ScenarioSubjects(model.DefaultParameters(), Enumerable.Repeat(CompiledScenario.Compile(model.Info, model.ReferenceScenario), 12).ToArray());
        double[] Rows(ulong runSeed, params (long From, long To, int Threads)[] shards)
        {
            var runner = new SubjectShardRunner(model, new SolverOptions(), times, subjects, runSeed: runSeed);
            var rows = new double[12 * runner.SummaryWidth];
            foreach (var (from, to, threads) in shards)
            {
                var part = new double[(to - from) * runner.SummaryWidth];
                runner.Run(from, to, part, threads).Failed.Should().Be(0);
                part.CopyTo(rows, from * runner.SummaryWidth);
            }
            return rows;
        }
        var whole = Rows(42, (0, 12, 1));
        for (int i = 0; i < 12; i++)
        {
            whole[i * SubjectShardRunner.SummaryPerOutput].Should().Be(i, "min of [subject, seed] is the subject's index");
            whole[i * SubjectShardRunner.SummaryPerOutput + 3].Should().Be(SubjectIdentity.Of(42, i).Seed, "the final value is the seed it was sent");
        }
        Rows(42, (0, 5, 2), (5, 12, 3)).Should().Equal(whole, "a subject gets the same seed in any shard on any thread");
        var seeds = whole.Where((_, i) => i % SubjectShardRunner.SummaryPerOutput == 3).ToArray();
        seeds.Should().OnlyHaveUniqueItems().And.OnlyContain(s => s >= 0 && s < SubjectIdentity.SeedLimit);
        Rows(43, (0, 12, 1)).Where((_, i) => i % SubjectShardRunner.SummaryPerOutput == 3).Should().NotIntersectWith(seeds, "another run seed gives other seeds");
    }

    [Fact]
    public void Subject_seeds_are_exact_json_integers_and_apart_from_the_stream_the_subjects_parameters_are_drawn_from()
    {
        var ids = Enumerable.Range(0, 10_000).Select(i => SubjectIdentity.Of(7, i)).ToArray();
        ids.Select(s => s.Index).Should().Equal(Enumerable.Range(0, 10_000).Select(i => (long)i));
        ids.Select(s => s.Seed).Should().OnlyHaveUniqueItems().And.OnlyContain(s => s >= 0 && s < SubjectIdentity.SeedLimit);
        ids.Should().Equal(Enumerable.Range(0, 10_000).Select(i => SubjectIdentity.Of(7, i)), "a pure function of the run's seed and the index");
        ids.Select(s => s.Seed).Should().NotIntersectWith(Enumerable.Range(0, 10_000).Select(i => (long)(Xoshiro256StarStar.ForStream(7, i).NextUInt64() >> 11)),
            "a code's seeds are not the parameters' own stream, so its noise is not correlated with its subject's draw");
    }

    /// <summary>
    /// A batch code (Python): y = k·t + subject for each subject it is sent; it notes how many subjects each of its processes
    /// took in <c>starts</c>, answers <paramref name="failing"/> with an error, and drops its last answer when <paramref name="dropLast"/>.
    /// </summary>
    private ExternalModel Batched(int batchSize, long failing = -1, bool dropLast = false)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_folder, "batched")).FullName;
        var path = Path.Combine(dir, "batched.py");
        File.WriteAllText(path, $$$"""
            #!/usr/bin/env python3
            import json, os, sys
            request = json.load(sys.stdin)
            assert request["protocol"] == "dth.external-model-batch/1", request["protocol"]
            with open(os.path.join(os.environ["DTH_MODEL_DIR"], "starts"), "a") as f:
                f.write(f"{len(request['subjects'])}\n")
            answers = []
            for s in request["subjects"]:
                if s["subject"] == {{{failing}}}:
                    answers.append({"error": "k out of this code's range"})
                else:
                    answers.append({"outputs": {"y": [s["parameters"]["k"] * t + s["subject"] for t in request["times"]]}})
            if {{{(dropLast ? "True" : "False")}}}:
                answers = answers[:-1]
            json.dump({"answers": answers}, sys.stdout)
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(dir, "model.json"), $$"""
            {
              "id": "batched", "version": "1.0.0", "title": "a batch code", "timeUnit": "min",
              "parameters": [ { "name": "k", "value": 1, "lower": 0, "upper": 2 } ],
              "outputs": [ { "name": "y" } ],
              "scenarios": [ { "name": "reference", "duration": 10 } ],
              "executor": { "command": "batched.py", "batchSize": {{batchSize}} }
            }
            """);
        return ExternalModel.Load(Path.Combine(dir, "model.json"));
    }

    private int[] Starts() => File.ReadAllLines(Path.Combine(_folder, "batched", "starts")).Select(int.Parse).ToArray();

    [Fact]
    public void A_batch_code_takes_each_chunk_of_a_cohort_in_one_process_and_an_error_it_answers_fails_only_its_subject()
    {
        var model = Batched(batchSize: 4, failing: 5);
        model.Protocol.Should().Be(ExternalProcessSimulator.BatchProtocol);
        model.SubjectsPerChunk.Should().Be(4, "progress comes batch by batch");
        double[] times = [0, 10];
        var subjects = new ScenarioSubjects(model.DefaultParameters(), Enumerable.Repeat(CompiledScenario.Compile(model.Info, model.ReferenceScenario), 10).ToArray());
        var runner = new SubjectShardRunner(model, new SolverOptions(), times, subjects);
        var rows = new double[10 * runner.SummaryWidth];
        var partial = runner.Run(0, 10, rows, maxDegreeOfParallelism: 2);

        Starts().Order().Should().Equal([2, 4, 4], "three processes for ten subjects: two batches of four and one of two");
        partial.Individuals.Should().Be(9);
        partial.Failed.Should().Be(1);
        for (int i = 0; i < 10; i++)
        {
            var final = rows[i * runner.SummaryWidth + 3];
            if (i == 5) double.IsNaN(final).Should().BeTrue("subject 5 was answered with an error");
            else final.Should().Be(10 + i, "y(10) = k·10 + subject");
        }
    }

    [Fact]
    public void A_batch_codes_subject_asked_for_alone_is_a_batch_of_one_and_a_wrong_number_of_answers_fails_the_whole_batch()
    {
        using var outcomes = new ProcessOutcomes("batched");
        var alone = Solve(Batched(batchSize: 8), [0, 10], [1.5], subject: new SubjectIdentity(3, 99));
        alone.Status.Should().Be(IntegrationStatus.Completed, alone.Failure);
        alone.Outputs.Should().Equal(3, 18);
        Starts().Should().Equal(1);

        var dropping = Batched(batchSize: 3, dropLast: true);
        var subjects = new ScenarioSubjects(dropping.DefaultParameters(), Enumerable.Repeat(CompiledScenario.Compile(dropping.Info, dropping.ReferenceScenario), 3).ToArray());
        var reported = new System.Collections.Concurrent.ConcurrentBag<string>();
        void Report(string id, string reason)
        {
            if (id == "batched") reported.Add(reason);
        }
        ExternalModel.ProcessFailed += Report;
        ShardPartial partial;
        try
        {
            partial = new SubjectShardRunner(dropping, new SolverOptions(), [0, 10], subjects).Run(0, 3);
        }
        finally
        {
            ExternalModel.ProcessFailed -= Report;
        }
        partial.Failed.Should().Be(3, "an answer missing puts every answer of the batch in doubt");
        reported.Should().Equal(["it gave 2 answers for 3 subjects (3 subjects)"], "a failed process is reported (and logged) once, not once per subject");
        var simulator = (ExternalProcessSimulator)dropping.CreateSimulator(new SolverOptions(), [0.0, 10]);
        var scenario = CompiledScenario.Compile(dropping.Info, dropping.ReferenceScenario);
        simulator.Prefetch([new SubjectCase(scenario, [1.0], new SubjectIdentity(0, 1)), new SubjectCase(scenario, [1.0], new SubjectIdentity(1, 2))], CancellationToken.None);
        simulator.Solve(scenario, [1.0], new double[2], new SubjectIdentity(0, 1), CancellationToken.None).Should().Be(IntegrationStatus.ExternalCodeFailed);
        simulator.LastFailure.Should().Be("it gave 1 answers for 2 subjects");
        outcomes.Ended.Should().Equal([ExternalOutcome.Completed, ExternalOutcome.BadAnswer, ExternalOutcome.BadAnswer], "a batch is one process, counted once");
    }

    [Fact]
    public void A_code_over_its_memory_limit_fails_its_subject_naming_the_limit_and_the_same_code_without_it_runs()
    {
        Require(ProcessGroup.Prlimit is not null, "prlimit");
        // 256 MiB at once: fine for the machine, four times the descriptor's limit.
        const string script = "cat > /dev/null\nexec python3 -c 'b = bytearray(256 * 2**20); print(\"{\\\"outputs\\\": {\\\"y\\\": [1]}}\")'";
        var unlimited = Scripted(script, name: "unlimited");
        Solve(unlimited, [0]).Status.Should().Be(IntegrationStatus.Completed, Solve(unlimited, [0]).Failure);

        var limited = Scripted(script, name: "limited", executor: "\"memoryMiB\": 64");
        limited.Limits.Should().Be(new ExternalLimits(64, null));
        var (status, _, failure) = Solve(limited, [0]);
        status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        failure.Should().StartWith("exit code 1: ").And.Contain("MemoryError").And.EndWith("(its memory limit is 64 MiB: executor.memoryMiB)");
    }

    [Fact]
    public async Task A_code_over_its_CPU_time_limit_is_killed_before_its_timeout_and_its_subject_fails_naming_the_limit()
    {
        Require(ProcessGroup.Prlimit is not null, "prlimit");
        var model = Scripted("cat > /dev/null\nwhile :; do :; done", timeoutSeconds: 600, executor: "\"cpuSeconds\": 1");
        // A bound on a hang (the wall-clock timeout is 10 minutes), not a timing.
        var (status, _, failure) = await Task.Run(() => Solve(model, [0])).WaitAsync(TimeSpan.FromMinutes(2));
        status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        failure.Should().Be("it used more than its CPU time limit of 1 s (executor.cpuSeconds) and was killed");
    }

    [Fact]
    public void A_batch_process_gets_the_CPU_time_limit_times_its_subjects_and_the_memory_limit_as_it_is()
    {
        Require(ProcessGroup.Prlimit is not null && CodeNamespaces.Unshare is not null, "prlimit or unshare");
        // setsid, then prlimit, then unshare: each execs the next in its own place, and the group's leader is unshare, which
        // forks the PID namespace's first process, a shell that runs the code.
        var start = ProcessGroup.StartInfo("/models/code", ["--fast"], new ExternalLimits(512, 30), subjects: 4, isolateNetwork: true);
        start.FileName.Should().Be(ProcessGroup.Setsid);
        start.ArgumentList.Should().Equal(ProcessGroup.Prlimit!, "--data=536870912", "--cpu=120:121", "--",
            CodeNamespaces.Unshare!, "--user", "--map-current-user", "--net", "--ipc", "--pid", "--fork", "--kill-child", "--mount-proc", "--",
            CodeNamespaces.Shell!, "-c", CodeNamespaces.RunAsChild, "dth-init", "/models/code", "--fast");
        ProcessGroup.StartInfo("/models/code", [], new ExternalLimits(null, null)).ArgumentList.Should().Equal("/models/code");
    }

    [Fact]
    public void A_code_runs_without_a_network_unless_its_descriptor_says_host()
    {
        RequireNamespaces(mounts: false);
        // A listener of the silo's on the loopback: y = 1 when the code's connection to it succeeds.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var script = "cat > /dev/null\n" +
            $"if python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=10)\" 2>/dev/null; then r=1; else r=0; fi\n" +
            "echo \"{\\\"outputs\\\": {\\\"y\\\": [$r]}}\"";

        var isolated = Scripted(script, name: "isolated");
        isolated.NetworkIsolated.Should().BeTrue("no network is the default");
        var (status, y, failure) = Solve(isolated, [0]);
        status.Should().Be(IntegrationStatus.Completed, failure);
        y.Should().Equal([0.0], "a code without a network cannot reach even the silo's loopback");

        var networked = Scripted(script, name: "networked", executor: "\"network\": \"host\"");
        networked.NetworkIsolated.Should().BeFalse();
        (status, y, failure) = Solve(networked, [0]);
        status.Should().Be(IntegrationStatus.Completed, failure);
        y.Should().Equal([1.0], "with the silo's network it reaches the listener");
    }

    [Fact]
    public async Task Each_process_is_counted_for_operators_with_its_model_and_how_it_ended()
    {
        var id = "metered-" + Guid.NewGuid().ToString("N")[..8];
        using var outcomes = new ProcessOutcomes(id);

        const string answer = "cat > /dev/null\necho '{\"outputs\": {\"y\": [1, 2]}}'";
        Solve(Scripted(answer, name: "completed", id: id), [0, 10]).Status.Should().Be(IntegrationStatus.Completed);
        Solve(Scripted("cat > /dev/null\necho '{\"outputs\": {}}'", name: "bad-answer", id: id), [0, 10]).Status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        Solve(Scripted("cat > /dev/null\nexit 3", name: "exit-code", id: id), [0, 10]).Status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        Solve(Scripted("cat > /dev/null\nkill -SEGV $$", name: "signal", id: id), [0, 10]).Status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        Solve(Scripted("cat > /dev/null\nhead -c 5000 /dev/zero", maxOutputBytes: 1000, name: "output-bound", id: id), [0, 10]).Status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        Solve(Scripted("exec sleep 600", timeoutSeconds: 0.5, name: "timeout", id: id), [0, 10]).Status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        var notExecutable = Scripted(answer, name: "not-started", id: id);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(notExecutable.Command, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Solve(notExecutable, [0, 10]).Status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        var started = Path.Combine(_folder, "started");
        using var cancel = new CancellationTokenSource();
        var hanging = Scripted($"echo > {started}\nexec sleep 600", name: "cancelled", id: id);
        Func<Task> solve = () => Task.Run(() => Solve(hanging, [0, 10], ct: cancel.Token));
        var thrown = solve.Should().ThrowAsync<OperationCanceledException>();
        SpinWait.SpinUntil(() => File.Exists(started), TimeSpan.FromSeconds(30)).Should().BeTrue("the code starts");
        cancel.Cancel();
        await thrown;

        outcomes.Ended.Should().Equal([ExternalOutcome.Completed, ExternalOutcome.BadAnswer, ExternalOutcome.ExitCode, ExternalOutcome.Signal, ExternalOutcome.OutputBound,
            ExternalOutcome.Timeout, ExternalOutcome.NotStarted, ExternalOutcome.Cancelled], "each process once, with how it ended");
        outcomes.Timed.Should().Equal(outcomes.Ended, "each process's time is recorded with the same tags");
    }

    /// <summary>How the processes of model <paramref name="id"/> ended, as the metrics count them, while it is not disposed.</summary>
    private sealed class ProcessOutcomes : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _ended = new(), _timed = new();

        public ProcessOutcomes(string id)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ExternalCodeMetrics.MeterName && instrument.Name.StartsWith("dth.runs.external_process", StringComparison.Ordinal))
                    l.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                if (Tag(tags, "model") == id) for (var i = 0; i < value; i++) _ended.Enqueue(Tag(tags, "outcome")!);
            });
            _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
            {
                if (Tag(tags, "model") == id && seconds >= 0) _timed.Enqueue(Tag(tags, "outcome")!);
            });
            _listener.Start();
        }

        /// <summary>The outcome of each process counted, in order.</summary>
        public string[] Ended => [.. _ended];

        /// <summary>The outcome of each process whose time was recorded, in order.</summary>
        public string[] Timed => [.. _timed];

        private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
        {
            foreach (var t in tags) if (t.Key == name) return t.Value as string;
            return null;
        }

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public void A_code_a_signal_ends_fails_its_subject_naming_the_signal()
    {
        var (status, _, failure) = Solve(Scripted("cat > /dev/null\necho 'segmentation fault in solver' >&2\nkill -SEGV $$"), [0]);
        status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        failure.Should().Be("killed by signal SIGSEGV (exit code 139): segmentation fault in solver");
    }

    [Theory]
    [InlineData("\"memoryMiB\": 8", "'executor.memoryMiB' (what one process may allocate) is between 16 and 1048576")]
    [InlineData("\"cpuSeconds\": 0", "'executor.cpuSeconds' (per subject) is between 1 and 604800")]
    [InlineData("\"network\": \"bridge\"", "'executor.network' is 'none' (the default: no network, not even a loopback) or 'host'")]
    public void Limits_out_of_range_and_an_unknown_network_are_descriptor_problems(string field, string problem)
    {
        var path = Path.Combine(_folder, "limits.json");
        File.WriteAllText(path, $$"""
            { "id": "limits-bad", "version": "1.0.0", "title": "t", "timeUnit": "s",
              "parameters": [ { "name": "a", "value": 1, "lower": 0, "upper": 2 } ], "outputs": [ { "name": "b" } ],
              "scenarios": [ { "name": "reference", "duration": 1 } ], "executor": { "command": "x", {{field}} } }
            """);
        var act = () => ExternalModel.Load(path);
        act.Should().Throw<InvalidDataException>().WithMessage($"*{problem}*");
    }

    [Fact]
    public void A_batch_size_out_of_range_is_a_descriptor_problem()
    {
        var path = Path.Combine(_folder, "batch.json");
        File.WriteAllText(path, """
            { "id": "batch-bad", "version": "1.0.0", "title": "t", "timeUnit": "s",
              "parameters": [ { "name": "a", "value": 1, "lower": 0, "upper": 2 } ], "outputs": [ { "name": "b" } ],
              "scenarios": [ { "name": "reference", "duration": 1 } ], "executor": { "command": "x", "batchSize": 0 } }
            """);
        var act = () => ExternalModel.Load(path);
        act.Should().Throw<InvalidDataException>().WithMessage("*'executor.batchSize' is between 1 (a process per subject) and 10000*");
    }

    [Fact]
    public void An_answer_larger_than_its_bound_fails_the_subject_without_holding_it()
    {
        var model = Scripted("cat > /dev/null\nhead -c 200000 /dev/zero | tr '\\0' ' '\necho '{\"outputs\": {\"y\": [1, 2]}}'", maxOutputBytes: 1000);
        var (status, _, failure) = Solve(model, [0, 10]);
        status.Should().Be(IntegrationStatus.ExternalCodeFailed);
        failure.Should().Be("it wrote more than 1000 bytes to its standard output");
    }

    [Fact]
    public void A_descriptor_whose_code_is_missing_is_known_but_not_runnable_here_and_says_how_to_fix_it()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_folder, "missing")).FullName;
        File.WriteAllText(Path.Combine(dir, "m.json"), """
            { "id": "elsewhere", "version": "2.0.0", "title": "t", "timeUnit": "s",
              "parameters": [ { "name": "a", "value": 1, "lower": 0, "upper": 2 } ], "outputs": [ { "name": "b" } ],
              "scenarios": [ { "name": "reference", "duration": 1 } ], "executor": { "command": "hpc-solver-not-here" } }
            """);
        var model = ExternalModel.Load(Path.Combine(dir, "m.json"));
        model.IsInstalled.Should().BeFalse();
        model.NotRunnableHere.Should().Contain("'elsewhere' is not installed on this silo").And.Contain("install it here, or start a silo that has it");
        var act = () => model.CreateSimulator(new SolverOptions(), [0.0]);
        act.Should().Throw<InvalidOperationException>().WithMessage("*not installed on this silo*");
    }

    [Fact]
    public void A_descriptor_with_problems_is_refused_with_every_problem_and_its_path()
    {
        var path = Path.Combine(_folder, "bad.json");
        File.WriteAllText(path, """
            { "id": "Bad Id", "version": "", "title": "t", "timeUnit": "mmol",
              "parameters": [ { "name": "a", "value": 5, "lower": 0, "upper": 2 }, { "name": "a", "value": 0, "lower": -1, "upper": 1, "cohortCv": 0.2 } ],
              "outputs": [],
              "scenarios": [ { "name": "reference", "duration": -1 } ],
              "executor": { "command": "x", "timeoutSeconds": 0 } }
            """);
        var act = () => ExternalModel.Load(path);
        var message = act.Should().Throw<InvalidDataException>().Which.Message;
        message.Should().Contain(path)
            .And.Contain("'id' is 3 to 64 characters")
            .And.Contain("'version' is required")
            .And.Contain("'timeUnit' is one of s, min, h, d")
            .And.Contain("Parameter 'a': 'lower' < 'upper' and 'value' within them")
            .And.Contain("'parameters': each name once")
            .And.Contain("a parameter that varies between individuals (log-normal, 'cohortCv') has a positive 'value'")
            .And.Contain("'outputs' lists at least one")
            .And.Contain("Scenario 'reference': 'duration' is a positive number")
            .And.Contain("'executor.timeoutSeconds' (per subject) is between 1 and 604800");
    }

    [Fact]
    public void A_descriptor_with_an_unknown_field_or_broken_json_is_refused_naming_it()
    {
        var path = Path.Combine(_folder, "typo.json");
        File.WriteAllText(path, """{ "id": "typo", "versoin": "1.0.0" }""");
        var act = () => ExternalModel.Load(path);
        act.Should().Throw<InvalidDataException>().WithMessage($"*{path}*versoin*");
        File.WriteAllText(path, "{ \"id\": ");
        act.Should().Throw<InvalidDataException>().WithMessage($"External model '{path}': *");
    }

    [Fact]
    public void The_library_takes_an_external_model_once_refuses_another_code_under_its_id_and_keeps_the_engines_ids()
    {
        var model = Scripted("exit 0", name: "lib-a");
        ModelLibrary.Register(model);
        ModelLibrary.Register(Scripted("exit 0", name: "lib-a2"));
        ModelLibrary.Get("scripted").Should().BeSameAs(model, "the same descriptor and code again is the same model");
        ModelLibrary.Engine.Should().NotContain(m => m.Info.Id == "scripted");
        var other = Scripted("exit 1", name: "lib-b");
        var act = () => ModelLibrary.Register(other);
        act.Should().Throw<ArgumentException>().WithMessage("*already registered at version 1.0.0*Give a changed code a new version*");
        var engineGet = () => ModelLibrary.GetEngine("scripted");
        engineGet.Should().Throw<ArgumentException>().WithMessage("*external code*");
    }

    [Fact]
    public void When_the_pipe_to_the_warden_closes_as_at_a_SIGKILL_of_this_process_it_kills_the_groups_it_still_watches()
    {
        Require(CodeWarden.IsAvailable, "setsid or bash");
        var warden = new CodeWarden();
        // A code whose group has a background member too, and one taken back before the end (it must live on).
        using var watched = StartCode("sleep 600 & echo $!; exec sleep 600");
        var background = int.Parse(watched.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
        using var released = StartCode("exec sleep 600");
        try
        {
            warden.Watch(watched.Id);
            warden.Watch(released.Id);
            warden.ProcessId.Should().BePositive("the first code's start started the warden");
            warden.Release(released.Id);

            warden.Dispose(); // returns when the warden has done its work
            watched.WaitForExit(TimeSpan.FromSeconds(30)).Should().BeTrue("the warden kills the groups it watches when its pipe closes");
            ProcessIsGone(background).Should().BeTrue("the whole group goes, also what the code started");
            released.HasExited.Should().BeFalse("a group taken back is not the warden's to kill");
        }
        finally
        {
            warden.Dispose();
            if (!released.HasExited) released.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void A_warden_that_dies_is_replaced_at_the_next_start_and_the_new_one_takes_over_the_codes_still_running()
    {
        Require(CodeWarden.IsAvailable, "setsid or bash");
        var warden = new CodeWarden();
        using var first = StartCode("exec sleep 600");
        using var second = StartCode("exec sleep 600");
        try
        {
            warden.Watch(first.Id);
            var dead = warden.ProcessId;
            using (var old = Process.GetProcessById(dead))
            {
                old.Kill(); // SIGKILL: it cannot ignore that one
                old.WaitForExit(TimeSpan.FromSeconds(30)).Should().BeTrue();
            }
            warden.Watch(second.Id);
            warden.ProcessId.Should().BePositive().And.NotBe(dead);

            warden.Dispose();
            first.WaitForExit(TimeSpan.FromSeconds(30)).Should().BeTrue("the new warden was handed the group the dead one watched");
            second.WaitForExit(TimeSpan.FromSeconds(30)).Should().BeTrue();
        }
        finally
        {
            warden.Dispose();
            foreach (var code in (Process[])[first, second]) if (!code.HasExited) code.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void A_code_cannot_see_a_folder_the_silo_hides_but_sees_its_own_and_runs_as_the_silos_user()
    {
        RequireNamespaces(mounts: true);
        // A silo's data folder with its signing key, hidden while the registration lasts.
        var data = Directory.CreateDirectory(Path.Combine(_folder, "silo-data", "identity")).FullName;
        var key = Path.Combine(data, "signing-key.pem");
        File.WriteAllText(key, "-----BEGIN PRIVATE KEY-----");
        var uid = ProcessGroup.geteuid();
        // y = [1 when the key is readable, 1 when a file beside the descriptor is, the code's user id], for both networks.
        var script = "cat > /dev/null\n" +
            $"if cat '{key}' > /dev/null 2>&1; then k=1; else k=0; fi\n" +
            "if cat \"$DTH_MODEL_DIR/run.sh\" > /dev/null 2>&1; then m=1; else m=0; fi\n" +
            "echo \"{\\\"outputs\\\": {\\\"y\\\": [$k, $m, $(id -u)]}}\"";
        var isolated = Scripted(script, name: "hidden-none");
        var networked = Scripted(script, name: "hidden-host", executor: "\"network\": \"host\"");
        Solve(isolated, [0, 1, 2]).Outputs.Should().Equal([1.0, 1.0, uid], "nothing is hidden before the registration");

        using (ExternalModel.HideFromCodes([Path.GetDirectoryName(data)!]))
        {
            foreach (var model in (ExternalModel[])[isolated, networked])
            {
                var (status, y, failure) = Solve(model, [0, 1, 2]);
                status.Should().Be(IntegrationStatus.Completed, failure);
                y.Should().Equal([0.0, 1.0, uid], "the hidden folder's key is out of sight (network {0}), the code's own files are not, and it runs as the silo's user",
                    model.NetworkIsolated ? "none" : "host");
            }
        }
        Solve(networked, [0, 1, 2]).Outputs.Should().Equal([1.0, 1.0, uid], "a registration disposed hides nothing more");
    }

    [Fact]
    public void A_confined_code_writes_only_its_scratch_which_goes_with_it_on_a_silo_and_under_dth()
    {
        RequireNamespaces(mounts: true);
        var hidden = Directory.CreateDirectory(Path.Combine(_folder, "silo-data")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_folder, "beside")).FullName; // the silo user's, not hidden
        var marker = Marker();
        // y = [written beside the silo's data, into its own model's folder, into its working folder, TMPDIR is the working
        // folder, written into TMPDIR, into /dev/shm, the working folder is a tmpfs], 1 for yes.
        var script = "cat > /dev/null\n" +
            $"w() {{ if echo {marker} > \"$1\" 2> /dev/null; then echo 1; else echo 0; fi; }}\n" +
            $"a=$(w '{outside}/{marker}'); b=$(w \"$DTH_MODEL_DIR/{marker}\"); c=$(w ./{marker}); d=0; [ \"$TMPDIR\" = \"$(pwd)\" ] && d=1\n" +
            $"e=$(w \"$TMPDIR/{marker}.tmp\"); f=$(w /dev/shm/{marker}); g=0; [ \"$(stat -f -c %T .)\" = tmpfs ] && g=1\n" +
            "echo \"{\\\"outputs\\\": {\\\"y\\\": [$a, $b, $c, $d, $e, $f, $g]}}\"";
        var isolated = Scripted(script, name: "writer-none");
        var networked = Scripted(script, name: "writer-host", executor: "\"network\": \"host\"");
        var times = new double[] { 0, 1, 2, 3, 4, 5, 6 };
        Solve(isolated, times).Outputs.Take(3).Should().Equal([1.0, 1.0, 1.0], "nothing is read-only where nothing is hidden and writes are not confined");
        File.Delete(Path.Combine(outside, marker));
        File.Delete(Path.Combine(isolated.Folder, marker));
        File.Delete("/dev/shm/" + marker);

        // A silo (something hidden), and dth on a workstation (nothing hidden, writes confined: sim external --try, run verify).
        foreach (var confinement in (Func<IDisposable?>[])[() => ExternalModel.HideFromCodes([hidden]), () => ExternalModel.ConfineWritesOfCodes(out _)])
        using (confinement() ?? throw new InvalidOperationException("This machine cannot confine codes' writes."))
        {
            foreach (var model in (ExternalModel[])[isolated, networked])
            {
                var (status, y, failure) = Solve(model, times);
                status.Should().Be(IntegrationStatus.Completed, failure);
                y.Should().Equal([0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0],
                    "a confined code writes nowhere but its scratch (network {0})", model.NetworkIsolated ? "none" : "host");
                Directory.EnumerateFileSystemEntries(outside).Should().BeEmpty();
                Directory.EnumerateFileSystemEntries(model.Folder).Should().NotContain(f => f.Contains(marker, StringComparison.Ordinal));
                File.Exists("/dev/shm/" + marker).Should().BeFalse("its /dev/shm is its own");
                Directory.EnumerateFileSystemEntries(Path.GetTempPath(), "dth-external-*").SelectMany(d => Directory.EnumerateFileSystemEntries(d, "*" + marker + "*"))
                    .Should().BeEmpty("its scratch is gone with it");
            }
        }
    }

    /// <summary>
    /// A batch's bounds are the per-subject ones times its subjects, up to a ceiling: 16 MB a subject in a batch of 200
    /// would be 3.2 GB held in the silo's memory (and past 2 GB not holdable), a week a subject in a batch of 8 past the
    /// longest due time a timer takes (the batch failed at its start).
    /// </summary>
    [Fact]
    public void A_batch_s_output_and_time_bounds_grow_with_its_subjects_up_to_a_ceiling()
    {
        ExternalProcessSimulator.BatchOutputLimit(16L << 20, 4).Should().Be(64L << 20);
        ExternalProcessSimulator.BatchOutputLimit(16L << 20, 200).Should().Be(ExternalProcessSimulator.MaxBatchOutputBytes);
        ExternalProcessSimulator.BatchOutputLimit(1L << 30, 10_000).Should().Be(ExternalProcessSimulator.MaxBatchOutputBytes, "no overflow either");
        ExternalProcessSimulator.BatchTimeout(TimeSpan.FromSeconds(30), 10).Should().Be(TimeSpan.FromMinutes(5));
        var longest = ExternalProcessSimulator.BatchTimeout(TimeSpan.FromDays(7), 8);
        longest.Should().Be(ExternalProcessSimulator.MaxBatchTimeout);
        var timer = () => new Timer(_ => { }, null, longest, Timeout.InfiniteTimeSpan).Dispose();
        timer.Should().NotThrow("a timer takes the ceiling");
    }

    [Fact]
    public void A_users_credentials_are_named_under_its_home_and_nowhere_without_one()
    {
        ExternalModel.CredentialsOf("/home/ana").Should().Contain(["/home/ana/.ssh", "/home/ana/.pgpass", "/home/ana/.aws", "/home/ana/.kube",
            "/home/ana/.config/gcloud", "/home/ana/.git-credentials", "/home/ana/.bash_history", "/home/ana/.config/dth"]).And.OnlyContain(p => p.StartsWith("/home/ana/.", StringComparison.Ordinal));
        ExternalModel.CredentialsOf("").Should().BeEmpty();
        ExternalModel.CredentialsOf("relative/home").Should().BeEmpty("a home that is not a full path names nothing certain");
    }

    [Fact]
    public void A_confined_code_does_not_see_its_users_credentials_but_sees_the_rest_of_its_home()
    {
        RequireNamespaces(mounts: true);
        var home = Directory.CreateDirectory(Path.Combine(_folder, "home")).FullName;
        Directory.CreateDirectory(Path.Combine(home, ".ssh"));
        File.WriteAllText(Path.Combine(home, ".ssh", "id_ed25519"), "a private key");
        File.WriteAllText(Path.Combine(home, ".pgpass"), "localhost:5432:*:postgres:a password");
        Directory.CreateDirectory(Path.Combine(home, ".config", "gcloud"));
        File.WriteAllText(Path.Combine(home, ".config", "gcloud", "credentials.db"), "a cloud login");
        File.WriteAllText(Path.Combine(home, "notes.txt"), "the user's own notes");
        // y = [the SSH key read, the PostgreSQL password read, the cloud login read, the notes read], 1 for yes.
        var code = Scripted("cat > /dev/null\n" +
            "r() { if [ -n \"$(cat \"$1\" 2> /dev/null)\" ]; then echo 1; else echo 0; fi; }\n" +
            $"a=$(r '{home}/.ssh/id_ed25519'); b=$(r '{home}/.pgpass'); c=$(r '{home}/.config/gcloud/credentials.db'); d=$(r '{home}/notes.txt')\n" +
            "echo \"{\\\"outputs\\\": {\\\"y\\\": [$a, $b, $c, $d]}}\"");
        Solve(code, [0, 1, 2, 3]).Outputs.Should().Equal([1.0, 1.0, 1.0, 1.0], "nothing is hidden unless asked");
        using (ExternalModel.HideFromCodes(ExternalModel.CredentialsOf(home)))
        {
            var (status, y, failure) = Solve(code, [0, 1, 2, 3]);
            status.Should().Be(IntegrationStatus.Completed, failure);
            y.Should().Equal([0.0, 0.0, 0.0, 1.0], "the credentials are hidden, the rest of the home is not");
        }
    }

    /// <summary>
    /// A mount whose path the silo's user cannot reach (another user's FUSE mount, a container's root under
    /// /var/lib/docker) cannot be remounted read-only by the code's outer namespace either. It used to stop every code
    /// of a silo on such a host; the code cannot reach it, so it runs, and the rest is read-only as before. Made here as
    /// a tmpfs in a folder of mode 700 owned by a user no namespace of the code maps (needs root, as CI runs).
    /// </summary>
    [Fact]
    public void A_mount_out_of_the_silo_users_reach_does_not_stop_its_codes_and_stays_out_of_theirs()
    {
        RequireNamespaces(mounts: true);
        if (ProcessGroup.geteuid() != 0) throw new InvalidOperationException("Making a mount out of this user's reach needs root (CI runs as root).");
        var hidden = Directory.CreateDirectory(Path.Combine(_folder, "silo-data")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_folder, "beside")).FullName;
        var locked = Directory.CreateDirectory(Path.Combine(_folder, "locked")).FullName;
        var unreachable = Directory.CreateDirectory(Path.Combine(locked, "mounted")).FullName;
        Run("mount", "-t", "tmpfs", "dth-unreachable-test", unreachable);
        try
        {
            Run("chown", "54321:54321", locked);
            Run("chmod", "700", locked);
            var marker = Marker();
            // y = [written beside the silo's data, written into its working folder, the unreachable mount seen], 1 for yes.
            var code = Scripted("cat > /dev/null\n" +
                $"w() {{ if echo {marker} > \"$1\" 2> /dev/null; then echo 1; else echo 0; fi; }}\n" +
                $"a=$(w '{outside}/{marker}'); b=$(w ./{marker}); c=0; [ -e '{unreachable}' ] && c=1\n" +
                "echo \"{\\\"outputs\\\": {\\\"y\\\": [$a, $b, $c]}}\"");
            using (ExternalModel.HideFromCodes([hidden]))
            {
                var (status, y, failure) = Solve(code, [0, 1, 2]);
                status.Should().Be(IntegrationStatus.Completed, failure);
                y.Should().Equal([0.0, 1.0, 0.0], "the rest stays read-only, its scratch writable, and the mount out of its reach");
            }
            Directory.EnumerateFileSystemEntries(outside).Should().BeEmpty();
        }
        finally
        {
            Run("umount", unreachable);
            Run("chown", "0:0", locked);
        }
    }

    /// <summary>
    /// Which writable mounts a refused remount leaves a code's start to go on with (the shell's check, on mountinfo lines
    /// written here): only those a code cannot reach. "{here}" is a folder that exists, "{gone}" one that does not.
    /// </summary>
    [Theory]
    [InlineData(true, "26 1 254:0 / / ro,relatime - ext4 /dev/vda rw", "47 26 0:20 / /proc rw,relatime - proc proc rw")]
    [InlineData(true, "60 26 0:6 / /dev rw shared:4 - devtmpfs devtmpfs rw", "63 60 0:23 / /dev/pts rw - devpts devpts rw,mode=600")]
    [InlineData(false, "26 1 254:0 / {here} rw,relatime - ext4 /dev/vda rw")]
    [InlineData(false, "26 1 254:0 / {here} rw,noatime shared:1 master:2 - ext4 /dev/vda rw")]
    [InlineData(true, "70 26 0:39 / {gone} rw,relatime - fuse.gvfsd-fuse gvfsd-fuse rw,user_id=1000")]
    [InlineData(true, "61 60 0:22 / {here} rw,relatime - tmpfs tmpfs rw", "62 61 0:26 / {here} ro,relatime - tmpfs tmpfs rw")]
    [InlineData(false, "61 60 0:22 / {here} rw,relatime - tmpfs tmpfs rw", "62 60 0:26 / {here}/inner ro,relatime - tmpfs tmpfs rw")]
    [InlineData(false, "70 26 0:39 / {gone}\\040x rw,relatime - tmpfs tmpfs rw")]
    public void A_refused_remount_lets_a_code_start_only_when_what_stays_writable_is_out_of_its_reach(bool starts, params string[] mountinfo)
    {
        var here = Directory.CreateDirectory(Path.Combine(_folder, "here")).FullName;
        var file = Path.Combine(_folder, "mountinfo");
        File.WriteAllText(file, string.Join('\n', mountinfo.Select(l => l.Replace("{here}", here).Replace("{gone}", Path.Combine(_folder, "gone")))) + "\n");
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in (string[])["-c", CodeNamespaces.UnreachableFunction + "\nunreachable \"$1\"", "sh", file]) start.ArgumentList.Add(a);
        using var check = Process.Start(start)!;
        check.WaitForExit();
        (check.ExitCode == 0).Should().Be(starts, string.Join(" | ", mountinfo));
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, $"{program} {string.Join(' ', arguments)}: {error}");
    }

    [Fact]
    public void A_confined_codes_scratch_is_bounded_by_its_memory_limit()
    {
        RequireNamespaces(mounts: true);
        var hidden = Directory.CreateDirectory(Path.Combine(_folder, "silo-data")).FullName;
        // y = [1 when 8 MiB fit in the working folder, 1 when 40 MiB more do]
        var script = "cat > /dev/null\n" +
            "if head -c 8388608 /dev/zero > small 2> /dev/null; then s=1; else s=0; fi\n" +
            "if head -c 41943040 /dev/zero > big 2> /dev/null; then b=1; else b=0; fi\n" +
            "echo \"{\\\"outputs\\\": {\\\"y\\\": [$s, $b]}}\"";
        var limited = Scripted(script, name: "filler", executor: "\"memoryMiB\": 32");
        using (ExternalModel.HideFromCodes([hidden]))
        {
            var (status, y, failure) = Solve(limited, [0, 1]);
            status.Should().Be(IntegrationStatus.Completed, failure);
            y.Should().Equal([1.0, 0.0], "its scratch lives in memory, and its memory limit (32 MiB) bounds it");
        }
    }

    [Fact]
    public void A_codes_mount_table_hides_each_path_once_with_fstab_escapes_and_bounds_its_scratch()
    {
        var data = Directory.CreateDirectory(Path.Combine(_folder, "silo data")).FullName;
        var key = Path.Combine(data, "key.pem");
        File.WriteAllText(key, "k");
        var settings = Path.Combine(_folder, "app\\settings.json");
        File.WriteAllText(settings, "{}");
        var table = CodeNamespaces.MountTable("/tmp/dth-external-1", [data, key, settings, Path.Combine(_folder, "gone")], scratchMiB: 64);
        static string Escaped(string path) => path.Replace("\\", "\\134").Replace(" ", "\\040");
        table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(
            $"dth-hidden {Escaped(data)} tmpfs ro,size=0,mode=000 0 0",
            $"/dev/null {Escaped(settings)} none bind 0 0",
            "dth-scratch /tmp/dth-external-1 tmpfs mode=700,size=64m 0 0",
            "dth-shm /dev/shm tmpfs mode=1777,size=64m 0 0");
        CodeNamespaces.MountTable("/w", [], scratchMiB: null).Should().Be("dth-scratch /w tmpfs mode=700 0 0\ndth-shm /dev/shm tmpfs mode=1777 0 0\n");
    }

    /// <summary>
    /// The confinement tests need Linux with util-linux and bash (ops/test.sh installs them): without them they fail,
    /// saying what is missing, rather than pass having tested nothing.
    /// </summary>
    private static void Require(bool present, string what)
    {
        if (!present) throw new InvalidOperationException($"{what} is missing here: ops/test.sh installs util-linux and bash (apt-get install -y util-linux bash).");
    }

    /// <summary>Fails, saying why, where this machine cannot start a code without a network, and with the mounts when <paramref name="mounts"/>.</summary>
    private static void RequireNamespaces(bool mounts)
    {
        if (CodeNamespaces.Problem(isolateNetwork: true, mounts) is { } why) throw new InvalidOperationException($"This machine cannot confine codes: {why}.");
    }

    /// <summary>A shell code started as a process group's leader, as the adapter starts codes; its standard output redirected.</summary>
    private static Process StartCode(string script)
    {
        var start = ProcessGroup.StartInfo("/bin/sh", ["-c", script]);
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        return Process.Start(start)!;
    }

    /// <summary>
    /// A word for a code's process to carry in its command line, which the test finds it by from outside: in its PID
    /// namespace its own id ($$) means nothing here.
    /// </summary>
    private static string Marker() => "dth-test-" + Guid.NewGuid().ToString("N");

    /// <summary>A shell loop that waits until <paramref name="file"/> exists (the code's background process has started).</summary>
    private static string WaitFor(string file) => $"while [ ! -e {file} ]; do sleep 0.05; done\n";

    /// <summary>The processes of this machine, not zombies, whose command line holds <paramref name="marker"/>.</summary>
    private static int[] MarkedProcesses(string marker) =>
    [
        .. Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0).Where(pid => pid > 0).Where(pid =>
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[stat.LastIndexOf(')') + 2] != 'Z' && File.ReadAllText($"/proc/{pid}/cmdline").Contains(marker, StringComparison.Ordinal);
            }
            catch (IOException) { return false; } // gone meanwhile
            catch (UnauthorizedAccessException) { return false; }
        }),
    ];

    private static bool MarkedProcessesAreGone(string marker) => SpinWait.SpinUntil(() => MarkedProcesses(marker).Length == 0, TimeSpan.FromSeconds(30));

    private static bool ProcessIsGone(int pid) => SpinWait.SpinUntil(() =>
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }, TimeSpan.FromSeconds(30));
}
