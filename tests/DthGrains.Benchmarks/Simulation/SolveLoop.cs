using System.Diagnostics;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Benchmarks.Simulation;

/// <summary>One workspace solving one patient repeatedly: warmed up, allocations counted, then timed in windows.</summary>
internal sealed class SolveLoop
{
    private readonly SimulationWorkspace _ws;
    private readonly CompiledScenario _scenario;
    private readonly double[] _p, _y;

    public SolveLoop(ModelDefinition model, CompiledScenario scenario, SolverOptions options, double[] times, double[] parameters, int warmUp = 200)
    {
        _ws = new SimulationWorkspace(model, options, times);
        _scenario = scenario;
        _p = parameters;
        _y = new double[times.Length * _ws.OutputCount];
        if (warmUp == 0) return;
        Solve(warmUp); // tiered JIT reaches the optimised code
        long before = GC.GetAllocatedBytesForCurrentThread();
        Solve(100);
        AllocationsPerSolve = (GC.GetAllocatedBytesForCurrentThread() - before) / 100.0;
        FirstOutputPeak = Enumerable.Range(0, times.Length).Max(i => _y[i * _ws.OutputCount]);
        StepsPerSolve = _ws.Statistics.AcceptedSteps;
    }

    public double AllocationsPerSolve { get; }
    public double FirstOutputPeak { get; }
    public double StepsPerSolve { get; }

    public void Solve(int count)
    {
        for (int i = 0; i < count; i++) _ws.Solve(_scenario, _p, _y);
    }

    /// <summary>
    /// Times windows of <paramref name="window"/> solves for at least <paramref name="seconds"/> of wall-clock time
    /// (at least one window), recording wall-clock and this thread's CPU seconds of each.
    /// </summary>
    public void Time(int window, double seconds, Samples into)
    {
        long start = Stopwatch.GetTimestamp();
        do
        {
            long wall0 = Stopwatch.GetTimestamp();
            double cpu0 = CpuClock.ThreadSeconds();
            Solve(window);
            double cpu = CpuClock.ThreadSeconds() - cpu0;
            into.Add(Stopwatch.GetElapsedTime(wall0).TotalSeconds, cpu);
        } while (Stopwatch.GetElapsedTime(start).TotalSeconds < seconds);
    }
}
