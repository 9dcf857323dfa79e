namespace DthGrains.Benchmarks.Simulation;

/// <summary>
/// Timings of repeated units of work, wall-clock and CPU seconds side by side. Wall-clock includes time spent waiting
/// for a core (on a shared machine at load ~10 that is most of it); CPU time is the work itself, what "per core" means.
/// Best and median of each, as rates of <c>units</c> per second.
/// </summary>
internal sealed class Samples(double unitsPerSample)
{
    private readonly List<double> _wall = [], _cpu = [];

    public int Count => _wall.Count;

    public void Add(double wallSeconds, double cpuSeconds) { _wall.Add(wallSeconds); _cpu.Add(cpuSeconds); }

    public double BestWall => unitsPerSample / _wall.Min();
    public double MedianWall => unitsPerSample / Median(_wall);
    public double BestCpu => unitsPerSample / _cpu.Min();
    public double MedianCpu => unitsPerSample / Median(_cpu);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
