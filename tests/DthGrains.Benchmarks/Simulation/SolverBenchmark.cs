using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Benchmarks.Simulation;

/// <summary>
/// Side-by-side solver benchmark: the Bergman model for one simulated day (three meals, 5-minute insulin pulses),
/// rtol 1e-6, atol 1e-9, outputs every 5 min, in our engine and in SciPy's solve_ivp (RK45 per patient, and RK45
/// vectorised over a 1,000-patient cohort as one system); then the stiff PK/PD case against LSODA and BDF.
/// "Per core" is measured as CPU time: the calling thread's on our side (all solves run on it), the SciPy process's on
/// the other (single-threaded: NumPy element-wise, BLAS pinned to one thread). CPU time does not count time spent
/// waiting for a core, which wall-clock does, so the ratios hold on a loaded shared machine; wall-clock is printed too.
/// Both sides time the same unit of work: a cohort of 1,000 patient-days (one vectorised solve_ivp call there, 1,000
/// workspace solves here; the 1,000 SciPy patients are identical, so the shared step size costs SciPy nothing). The
/// measurement is split into rounds that alternate which side runs first, so neither gets a quiet moment systematically;
/// best (the target ratios) and median over all rounds. The multi-thread figure is a plain wall-clock average.
/// </summary>
internal static class SolverBenchmark
{
    private const int Cohort = 1000;

    public static int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        string slice = (seconds / rounds).ToString(CultureInfo.InvariantCulture);
        bool failed = false;

        Console.WriteLine($"# solver benchmark: Bergman minimal model, 1 simulated day, rtol 1e-6, atol 1e-9, outputs every 5 min; {rounds} alternating rounds");
        var bergman = new BergmanMinimalModel();
        var day = CompiledScenario.Compile(bergman.Info, BergmanMinimalModel.MixedMealDay);
        var times = Enumerable.Range(0, 289).Select(i => i * 5.0).ToArray();
        var tol = new SolverOptions(SolverKind.DormandPrince45, 1e-6, 1e-9);
        var engine = new SolveLoop(bergman, day, tol, times, bergman.DefaultParameters());
        var dotnet = new Samples(Cohort);
        var vec = new Samples(Cohort);
        var loop = new Samples(1);
        double scipyPeak = double.NaN;
        for (int r = 0; r < rounds; r++)
        {
            Action[] sides =
            [
                () => engine.Time(Cohort, seconds / rounds, dotnet),
                () => failed |= !AddBaseline(BaselineRunner.Run("bergman-vectorised", slice, Cohort.ToString(CultureInfo.InvariantCulture)), vec),
                () => failed |= !AddBaseline(BaselineRunner.Run("bergman-loop", slice), loop, json => scipyPeak = json.GetProperty("glucose_peak").GetDouble()),
            ];
            foreach (var side in r % 2 == 0 ? sides : sides.Reverse()) side();
        }
        int cores = Environment.ProcessorCount;
        var multi = MeasureParallel(bergman, day, tol, times, seconds);

        PrintSamples("dotnet bergman single-thread", dotnet, "patient-days/s");
        Print($"dotnet bergman {cores} threads (wall-clock)", multi, "patient-days/s");
        Print("dotnet bergman allocations per solve", engine.AllocationsPerSolve, "bytes");
        Print("dotnet bergman accepted steps per solve", engine.StepsPerSolve, "steps");
        if (vec.Count > 0) PrintSamples($"scipy RK45 vectorised ({Cohort} patients, one core)", vec, "patient-days/s");
        if (loop.Count > 0)
        {
            PrintSamples("scipy RK45 loop", loop, "patient-days/s");
            Print("agreement glucose peak |dotnet - scipy|", Math.Abs(engine.FirstOutputPeak - scipyPeak), "mg/dL");
            Compare("dotnet single-thread vs scipy RK45 loop", dotnet, loop, 100);
        }
        if (vec.Count > 0) Compare("dotnet per core vs scipy RK45 vectorised", dotnet, vec, 2);

        Console.WriteLine("# stiff case: two-compartment PK/PD at the stiff setting, 7 daily doses, outputs hourly, rtol 1e-6, atol 1e-9");
        var pk = new PkPdModel();
        var week = CompiledScenario.Compile(pk.Info, pk.ReferenceScenario);
        var hours = Enumerable.Range(0, 169).Select(i => (double)i).ToArray();
        var pkParams = pk.Parameters(PkPdModel.StiffParameters);
        var rodas = new SolveLoop(pk, week, new SolverOptions(SolverKind.Rodas4, 1e-6, 1e-9), hours, pkParams);
        var auto = new SolveLoop(pk, week, new SolverOptions(SolverKind.Auto, 1e-6, 1e-9), hours, pkParams);
        const int pkWindow = 100;
        var rodasSamples = new Samples(pkWindow);
        var autoSamples = new Samples(pkWindow);
        var lsoda = new Samples(1);
        var bdf = new Samples(1);
        string stiffSlice = (seconds / 2 / rounds).ToString(CultureInfo.InvariantCulture);
        for (int r = 0; r < rounds; r++)
        {
            Action[] sides =
            [
                () =>
                {
                    rodas.Time(pkWindow, seconds / 4 / rounds, rodasSamples);
                    auto.Time(pkWindow, seconds / 4 / rounds, autoSamples);
                },
                () =>
                {
                    var s = BaselineRunner.Run("pkpd-stiff", stiffSlice);
                    failed |= !AddBaseline(s?.GetProperty("LSODA"), lsoda) | !AddBaseline(s?.GetProperty("BDF"), bdf);
                },
            ];
            foreach (var side in r % 2 == 0 ? sides : sides.Reverse()) side();
        }
        PrintSamples("dotnet pkpd stiff Rodas4", rodasSamples, "solves/s");
        PrintSamples("dotnet pkpd stiff Auto", autoSamples, "solves/s");
        Print("dotnet pkpd allocations per solve", rodas.AllocationsPerSolve, "bytes");
        Print("dotnet pkpd accepted steps per solve", rodas.StepsPerSolve, "steps");
        if (lsoda.Count > 0 && bdf.Count > 0)
        {
            PrintSamples("scipy LSODA", lsoda, "solves/s");
            PrintSamples("scipy BDF", bdf, "solves/s");
            Compare("dotnet Rodas4 vs scipy LSODA", rodasSamples, lsoda, 10);
            Compare("dotnet Rodas4 vs scipy BDF", rodasSamples, bdf, 10);
        }
        return failed ? 1 : 0;
    }

    /// <summary>Adds a baseline's repetitions (its <c>wall_s</c> and <c>cpu_s</c> arrays); false when the baseline failed.</summary>
    private static bool AddBaseline(JsonElement? result, Samples into, Action<JsonElement>? also = null)
    {
        if (result is not { } json) return false;
        var wall = json.GetProperty("wall_s").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var cpu = json.GetProperty("cpu_s").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int i = 0; i < wall.Length; i++) into.Add(wall[i], cpu[i]);
        also?.Invoke(json);
        return true;
    }

    private static double MeasureParallel(ModelDefinition model, CompiledScenario scenario, SolverOptions options, double[] times, double seconds)
    {
        long total = 0;
        var sw = Stopwatch.StartNew();
        Parallel.For(0, Environment.ProcessorCount, _ =>
        {
            var loop = new SolveLoop(model, scenario, options, times, model.DefaultParameters(), warmUp: 0);
            long count = 0;
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                loop.Solve(50);
                count += 50;
            }
            Interlocked.Add(ref total, count);
        });
        return total / sw.Elapsed.TotalSeconds;
    }

    private static void PrintSamples(string name, Samples s, string unit)
    {
        Print($"{name}, CPU time best", s.BestCpu, unit);
        Print($"{name}, CPU time median", s.MedianCpu, unit);
        Print($"{name}, wall-clock best", s.BestWall, unit);
        Print($"{name}, wall-clock median", s.MedianWall, unit);
    }

    /// <summary>
    /// The target is checked on CPU time (best of each side): what "per core" means, and unaffected by time spent
    /// waiting for a core. The median and wall-clock ratios are printed as checks, without a target.
    /// </summary>
    private static void Compare(string name, Samples dotnet, Samples scipy, double target)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio {name} (CPU time, best of each): {dotnet.BestCpu / scipy.BestCpu:F2} (target >= {target:G})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name}: CPU time ratio of medians {dotnet.MedianCpu / scipy.MedianCpu:F2}; wall-clock best {dotnet.BestWall / scipy.BestWall:F2}, ratio of medians {dotnet.MedianWall / scipy.MedianWall:F2}"));
    }

    private static void Print(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:G6} {unit}"));
}
