using System.Diagnostics;
using System.Globalization;
using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Benchmarks.Simulation;

/// <summary>
/// A virtual cohort as <c>dth sim local --cohort</c> runs it (sampled patients, the model's reference scenario, outputs
/// every 5 min, Auto solver, rtol 1e-6, atol 1e-9), solved on one thread and timed in CPU time, so the figure is per
/// core and comparable across builds on a loaded machine. Prints a hash of every output bit of every patient: equal
/// hashes across two builds mean bit-identical cohorts. Usage: <c>cohort [model] [patients] [seed] [repeats]</c>.
/// </summary>
internal static class CohortBenchmark
{
    public static int Run(string[] args)
    {
        string name = args.Length > 0 ? args[0] : "hovorka";
        int patients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
        ulong seed = args.Length > 2 ? ulong.Parse(args[2], CultureInfo.InvariantCulture) : 7;
        int repeats = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;

        var model = ModelLibrary.GetEngine(name);
        var scenario = CompiledScenario.Compile(model.Info, model.ReferenceScenario);
        var times = Enumerable.Range(0, (int)(model.ReferenceScenario.Duration / 5) + 1).Select(i => i * 5.0).ToArray();
        var ws = new SimulationWorkspace(model, new SolverOptions(SolverKind.Auto, 1e-6, 1e-9), times);
        var sampler = new CohortSampler(model.Info, model.DefaultParameters());
        var p = new double[model.Info.Parameters.Count];
        var y = new double[times.Length * ws.OutputCount];

        Console.WriteLine($"# cohort benchmark: {model.Info.Id} v{model.Info.Version}, reference scenario, {patients} patients, seed {seed}, one thread");
        Pass(0, Math.Min(patients, 300)); // warm-up (tiered JIT)
        var samples = new Samples(patients);
        var first = default(PassResult);
        for (int r = 0; r < repeats; r++)
        {
            long wall0 = Stopwatch.GetTimestamp();
            double cpu0 = CpuClock.ThreadSeconds();
            var result = Pass(0, patients);
            samples.Add(Stopwatch.GetElapsedTime(wall0).TotalSeconds, CpuClock.ThreadSeconds() - cpu0);
            if (r == 0) first = result;
            else if (result != first) throw new InvalidOperationException("The same cohort gave different results within one run.");
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        Pass(0, 100);
        double alloc = (GC.GetAllocatedBytesForCurrentThread() - before) / 100.0;

        Print("patients per CPU second, best", samples.BestCpu);
        Print("patients per CPU second, median", samples.MedianCpu);
        Print("patients per wall-clock second, best", samples.BestWall);
        Print("patients per wall-clock second, median", samples.MedianWall);
        Print("accepted steps per patient", (double)first.Steps / patients);
        Print("allocations per patient (sampling + solve)", alloc);
        Console.WriteLine($"failed {first.Failed}, switched to stiff {first.Stiff}");
        Console.WriteLine($"output hash {first.Hash:x16}");

        // The whole cohort path (SubjectShardRunner, as the platform's workers and dth sim local run it: sampling, solves,
        // moments and histograms) on one thread, in process CPU time (~10 ms resolution is enough for a whole cohort).
        var runner = new SubjectShardRunner(model, new SolverOptions(SolverKind.Auto, 1e-6, 1e-9), times, new SampledSubjects(sampler, seed, patients, scenario));
        runner.Run(0, Math.Min(patients, 1024), maxDegreeOfParallelism: 1);
        var process = Process.GetCurrentProcess();
        var runnerSamples = new Samples(patients);
        for (int r = 0; r < repeats; r++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            long wall0 = Stopwatch.GetTimestamp();
            runner.Run(0, patients, maxDegreeOfParallelism: 1);
            process.Refresh();
            runnerSamples.Add(Stopwatch.GetElapsedTime(wall0).TotalSeconds, (process.TotalProcessorTime - cpu0).TotalSeconds);
        }
        Print("cohort path (SubjectShardRunner) patients per process CPU second, best", runnerSamples.BestCpu);
        Print("cohort path (SubjectShardRunner) patients per process CPU second, median", runnerSamples.MedianCpu);
        return 0;

        PassResult Pass(long from, long to)
        {
            ulong hash = 14695981039346656037UL;
            long steps = 0;
            int failed = 0, stiff = 0;
            for (long i = from; i < to; i++)
            {
                sampler.Sample(seed, i, p);
                if (ws.Solve(scenario, p, y) != IntegrationStatus.Completed) failed++;
                if (ws.SwitchedToStiff) stiff++;
                steps += ws.Statistics.AcceptedSteps;
                foreach (double v in y) hash = (hash ^ (ulong)BitConverter.DoubleToInt64Bits(v)) * 1099511628211UL; // FNV-1a over words
            }
            return new(hash, steps, failed, stiff);
        }
    }

    private readonly record struct PassResult(ulong Hash, long Steps, int Failed, int Stiff);

    private static void Print(string name, double value) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:G6}"));
}
