using DthGrains.Simulation.Statistics;

namespace DthGrains.Simulation.Cohorts;

/// <summary>
/// Mergeable statistics of a cohort shard: per output and time point, Welford moments and a quantile sketch.
/// Plain records and arrays so a shard result can travel between silos and be stored as an event. Layout of
/// <see cref="Moments"/> and <see cref="Sketches"/>: index = output × Times.Length + time.
/// </summary>
public sealed record CohortPartial(
    string ModelId,
    string ModelVersion,
    ulong Seed,
    long Individuals,
    long Failed,
    double[] Times,
    string[] OutputNames,
    RunningMoments[] Moments,
    QuantileSketchState[] Sketches)
{
    /// <summary>
    /// Merges shard results. Moments merge exactly (up to round-off); sketches merge deterministically for a given
    /// order, so merge shards in shard order to get bit-identical results however the shards were scheduled.
    /// </summary>
    public static CohortPartial Merge(IEnumerable<CohortPartial> partials)
    {
        CohortAccumulator? acc = null;
        CohortPartial? first = null;
        long individuals = 0, failed = 0;
        foreach (var p in partials)
        {
            first ??= p;
            if (p.ModelId != first.ModelId || p.Seed != first.Seed || !p.Times.AsSpan().SequenceEqual(first.Times))
                throw new ArgumentException("Only shards of the same run (model, seed, time grid) can be merged.");
            acc ??= new CohortAccumulator(p.Times.Length, p.OutputNames.Length, p.Sketches.Length > 0 ? p.Sketches[0].Compression : 100);
            acc.Merge(p);
            individuals += p.Individuals;
            failed += p.Failed;
        }
        if (first is null || acc is null) throw new ArgumentException("Nothing to merge.");
        return acc.ToPartial(first.ModelId, first.ModelVersion, first.Seed, first.Times, first.OutputNames) with { Individuals = individuals, Failed = failed };
    }
}

/// <summary>The in-memory form of a partial: adds individuals' outputs, merges partials.</summary>
internal sealed class CohortAccumulator
{
    private readonly int _nt, _ny;
    private readonly RunningMoments[] _moments;
    private readonly QuantileSketch[] _sketches;

    public CohortAccumulator(int times, int outputs, double compression)
    {
        _nt = times; _ny = outputs;
        _moments = new RunningMoments[times * outputs];
        _sketches = new QuantileSketch[times * outputs];
        for (int i = 0; i < _sketches.Length; i++) _sketches[i] = new QuantileSketch(compression);
    }

    public long Individuals;
    public long Failed;

    /// <summary>Adds one individual's outputs, row-major [time, output].</summary>
    public void Add(ReadOnlySpan<double> values)
    {
        Individuals++;
        for (int t = 0; t < _nt; t++)
            for (int y = 0; y < _ny; y++)
            {
                double v = values[t * _ny + y];
                int k = y * _nt + t;
                _moments[k].Add(v);
                _sketches[k].Add(v);
            }
    }

    public void Merge(CohortAccumulator other)
    {
        Individuals += other.Individuals;
        Failed += other.Failed;
        for (int i = 0; i < _moments.Length; i++)
        {
            _moments[i].Merge(other._moments[i]);
            _sketches[i].Merge(other._sketches[i]);
        }
    }

    public void Merge(CohortPartial p)
    {
        for (int i = 0; i < _moments.Length; i++)
        {
            _moments[i].Merge(p.Moments[i]);
            _sketches[i].Merge(QuantileSketch.FromState(p.Sketches[i]));
        }
    }

    public CohortPartial ToPartial(string modelId, string version, ulong seed, double[] times, string[] outputs) =>
        new(modelId, version, seed, Individuals, Failed, times, outputs, (RunningMoments[])_moments.Clone(), _sketches.Select(s => s.Snapshot()).ToArray());
}
