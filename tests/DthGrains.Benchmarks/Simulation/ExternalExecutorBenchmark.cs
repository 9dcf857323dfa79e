using System.Diagnostics;
using System.Globalization;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models.External;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Benchmarks.Simulation;

/// <summary>
/// What the executor adapter adds to running an external code: subjects of a shell-script model solved through
/// <see cref="ExternalProcessSimulator"/> (the protocol's JSON written and parsed, a working folder made and removed, a
/// minimal environment, pipes read concurrently, timeout and cancellation armed) against a bare loop that starts the
/// same script with the same input and reads its answer, nothing else. One thread each, rounds interleaved, best of
/// each. Ratio bare / adapter: 1 means the adapter costs nothing beside the process start. A third loop starts the
/// script confined as the adapter confines a code: through <c>setsid</c> (since session 25: the code leads a process
/// group, so what it leaves running can be killed) and <c>unshare</c> (since session 26: no network, and, as in a silo,
/// a folder hidden: a mount namespace between two user namespaces; since session 27 also a PID namespace with a /proc of
/// its own, whose first process, a shell, runs the code): the execs that cost are printed apart. Target: at most 2 ms a subject beside that exec, which
/// the codes the adapter is for (seconds a subject or more) do not notice. Measured by switching each off by hand
/// (session 24): the working folder made and removed per subject and the standard-error pipe are most of it, some 0.04
/// of the ratio each; both stay, for isolation and for saying why a subject failed. A fourth loop runs the round's
/// subjects through the batch protocol, one process for all of them (information: what batches save a code whose
/// start is its cost). A fifth runs the adapter for a model with limits (memory and CPU time, set through util-linux
/// <c>prlimit</c>, one more exec; information: what limits cost a subject).
/// Usage: <c>external [scale: rounds / 2, 3 by default] [subjects a round, 40 by default]</c>.
/// </summary>
internal static class ExternalExecutorBenchmark
{
    public static int Run(string[] args)
    {
        int rounds = Math.Max(3, args.Length > 0 ? (int)(double.Parse(args[0], CultureInfo.InvariantCulture) * 2) : 6);
        int n = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40;
        var folder = Directory.CreateTempSubdirectory("dth-bench-external-").FullName;
        // As a silo hides its data folder and key from its codes (ExternalModelsSetup.HideSecrets).
        using var hidden = ExternalModel.HideFromCodes([Directory.CreateDirectory(Path.Combine(folder, "silo-data")).FullName]);
        try
        {
            var times = Enumerable.Range(0, 97).Select(i => i * 15.0).ToArray();
            var model = Scripted(folder, times.Length);
            var simulator = (ExternalProcessSimulator)model.CreateSimulator(new SolverOptions(), times);
            var batched = (ExternalProcessSimulator)Scripted(folder, times.Length, batchSize: n).CreateSimulator(new SolverOptions(), times);
            var limitedModel = Scripted(folder, times.Length, limits: true);
            var limited = limitedModel.IsInstalled ? (ExternalProcessSimulator)limitedModel.CreateSimulator(new SolverOptions(), times) : null;
            var scenario = CompiledScenario.Compile(model.Info, model.ReferenceScenario);
            var y = new double[times.Length];
            double[] p = [1.0];
            // The bare loop sends the bytes the adapter sends for the same subject.
            var input = System.Text.Encoding.UTF8.GetBytes(
                "{\"protocol\":\"dth.external-model/1\",\"model\":\"bench\",\"version\":\"1.0.0\",\"timeUnit\":\"min\",\"times\":[" +
                string.Join(',', times.Select(t => t.ToString("R", CultureInfo.InvariantCulture))) +
                "],\"scenario\":\"reference\",\"duration\":1440,\"parameters\":{\"k\":1},\"subject\":0,\"seed\":1234567890123456}\n");
            Console.WriteLine($"# external executor benchmark: {n} subjects a round of a shell-script model ({times.Length} times), one thread, best of {rounds} rounds each, interleaved");

            // The batch protocol: the round's subjects announced (one process), then asked for one by one, as the cohort path does.
            double Batched()
            {
                var clock = Stopwatch.StartNew();
                batched.Prefetch([.. Enumerable.Range(0, n).Select(i => new SubjectCase(scenario, p, new SubjectIdentity(i, 1234567890123456)))], CancellationToken.None);
                for (int i = 0; i < n; i++)
                    if (batched.Solve(scenario, p, y, new SubjectIdentity(i, 1234567890123456), CancellationToken.None) != IntegrationStatus.Completed) throw new InvalidOperationException(batched.LastFailure);
                return clock.Elapsed.TotalMilliseconds;
            }

            double Adapter(ExternalProcessSimulator? through = null)
            {
                var code = through ?? simulator;
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < n; i++)
                    if (code.Solve(scenario, p, y, new SubjectIdentity(0, 1234567890123456), CancellationToken.None) != IntegrationStatus.Completed) throw new InvalidOperationException(code.LastFailure);
                return clock.Elapsed.TotalMilliseconds;
            }

            var setsid = ProcessGroup.Setsid;

            double Bare(bool grouped = false)
            {
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < n; i++)
                {
                    // Confined: the same chain of execs as the adapter's (setsid, unshare), nothing else of it.
                    // (and a working folder for the scratch the adapter mounts there, as the adapter makes one).
                    var work = grouped ? Directory.CreateTempSubdirectory("dth-bench-") : null;
                    var start = work is not null ? ProcessGroup.StartInfo(model.Command, [], isolateNetwork: model.NetworkIsolated, hidden: CodeNamespaces.Hidden, work: work.FullName) : new ProcessStartInfo(model.Command);
                    start.RedirectStandardInput = start.RedirectStandardOutput = true;
                    start.UseShellExecute = false;
                    start.Environment["DTH_MODEL_DIR"] = folder;
                    using var process = Process.Start(start)!;
                    CodeNamespaces.Open(process); // the confined code waits for it (the adapter sends it once the warden has the code)
                    process.StandardInput.BaseStream.Write(input);
                    process.StandardInput.Close();
                    var answer = process.StandardOutput.ReadToEnd();
                    process.WaitForExit();
                    work?.Delete(recursive: true);
                    if (process.ExitCode != 0 || answer.Length == 0) throw new InvalidOperationException("the script failed");
                }
                return clock.Elapsed.TotalMilliseconds;
            }

            Adapter(); Bare(); Batched(); // warm-up: the JIT and the file cache
            if (setsid is not null) Bare(grouped: true);
            if (limited is not null) Adapter(limited);
            double bestAdapter = double.MaxValue, bestBare = double.MaxValue, bestGrouped = double.MaxValue, bestBatched = double.MaxValue, bestLimited = double.MaxValue;
            for (int r = 0; r < rounds; r++)
            {
                bestBare = Math.Min(bestBare, Bare());
                if (setsid is not null) bestGrouped = Math.Min(bestGrouped, Bare(grouped: true));
                bestAdapter = Math.Min(bestAdapter, Adapter());
                bestBatched = Math.Min(bestBatched, Batched());
                if (limited is not null) bestLimited = Math.Min(bestLimited, Adapter(limited));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bare loop: {bestBare / n:F2} ms a subject (best round {bestBare:F0} ms)"));
            if (setsid is null) bestGrouped = bestBare; // the adapter starts the code directly where there is no setsid
            else Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bare loop confined as the adapter confines in a silo (setsid, unshare: no network, a folder hidden, PIDs of its own): {bestGrouped / n:F2} ms a subject (best round {bestGrouped:F0} ms)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"adapter:   {bestAdapter / n:F2} ms a subject (best round {bestAdapter:F0} ms)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratio bare / adapter: {bestBare / bestAdapter:F2}; the adapter's own cost: {(bestAdapter - bestBare) / n:F2} ms a subject, " +
                $"of which the confinement's execs {(bestGrouped - bestBare) / n:F2} ms and the rest {(bestAdapter - bestGrouped) / n:F2} ms (target for the rest <= 2 ms)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"adapter in batches of {n} (one process a round): {bestBatched / n:F3} ms a subject (best round {bestBatched:F0} ms)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratio adapter per subject / in batches: {bestAdapter / bestBatched:F1} (information: what a batch code saves when its start is the cost)"));
            if (limited is null) Console.WriteLine("adapter with limits: not measured (no prlimit here)");
            else Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"adapter with limits (memory, CPU time: prlimit's exec): {bestLimited / n:F2} ms a subject, {(bestLimited - bestAdapter) / n:F2} ms more (information)"));
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// A model whose code is a shell script that reads its input and answers with a prepared grid of values: once, or,
    /// with <paramref name="batchSize"/> above 1, once per subject of its input (the batch protocol), in a folder of its own.
    /// </summary>
    private static ExternalModel Scripted(string folder, int times, int batchSize = 1, bool limits = false)
    {
        if (batchSize > 1) folder = Directory.CreateDirectory(Path.Combine(folder, "batch")).FullName;
        if (limits) folder = Directory.CreateDirectory(Path.Combine(folder, "limited")).FullName;
        File.WriteAllText(Path.Combine(folder, "answer.json"),
            "{\"outputs\":{\"y\":[" + string.Join(',', Enumerable.Range(0, times).Select(i => (i * 0.5).ToString("R", CultureInfo.InvariantCulture))) + "]}}");
        var script = Path.Combine(folder, "run.sh");
        File.WriteAllText(script, batchSize > 1
            ? "#!/bin/sh\nn=$(grep -o '\"subject\":' | wc -l)\nanswer=$(cat \"$DTH_MODEL_DIR/answer.json\")\nprintf '{\"answers\":['\n" +
              "i=0\nwhile [ $i -lt $n ]; do [ $i -gt 0 ] && printf ','; printf '%s' \"$answer\"; i=$((i+1)); done\nprintf ']}'\n"
            : "#!/bin/sh\ncat > /dev/null\ncat \"$DTH_MODEL_DIR/answer.json\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(folder, "bench.json"), $$"""
            { "id": "bench", "version": "1.0.0", "title": "benchmark script", "timeUnit": "min",
              "parameters": [ { "name": "k", "value": 1, "lower": 0, "upper": 2 } ], "outputs": [ { "name": "y" } ],
              "scenarios": [ { "name": "reference", "duration": 1440 } ], "executor": { "command": "run.sh", "batchSize": {{batchSize}}{{(limits ? ", \"memoryMiB\": 256, \"cpuSeconds\": 60" : "")}} } }
            """);
        return ExternalModel.Load(Path.Combine(folder, "bench.json"));
    }
}
