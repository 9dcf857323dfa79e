using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Cohorts;

/// <summary>
/// Runs a virtual cohort, or a shard [from, to) of one, into mergeable partial statistics. Work is split into fixed
/// chunks of patient indices; each chunk is accumulated in index order and chunks are merged in chunk order, so the
/// result does not depend on the number of threads or on their scheduling. Patient i is drawn from (seed, i) only.
/// </summary>
public sealed class CohortRunner
{
    /// <summary>Patients per chunk: big enough that merging sketches costs little next to solving.</summary>
    public const int ChunkSize = 512;

    private readonly ModelDefinition _model;
    private readonly CompiledScenario _scenario;
    private readonly SolverOptions _options;
    private readonly double[] _times;
    private readonly CohortSampler _sampler;
    private readonly ulong _seed;
    private readonly double _compression;

    /// <summary>Prepares a run; nothing is solved yet.</summary>
    public CohortRunner(ModelDefinition model, CompiledScenario scenario, SolverOptions options, double[] times, CohortSampler sampler, ulong seed, double compression = 100)
    {
        _model = model; _scenario = scenario; _options = options; _times = times; _sampler = sampler; _seed = seed; _compression = compression;
    }

    /// <summary>
    /// Simulates patients [from, to) and returns their partial statistics. <paramref name="progress"/> receives the
    /// number of patients finished so far (from any thread). Failed solves are counted, not included.
    /// </summary>
    public CohortPartial RunShard(long from, long to, int maxDegreeOfParallelism = -1, Action<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(from, to);
        int ny = _model.Info.Outputs.Count;
        long chunks = (to - from + ChunkSize - 1) / ChunkSize;
        var total = new CohortAccumulator(_times.Length, ny, _compression);
        var pending = new Dictionary<long, CohortAccumulator>();
        long nextToMerge = 0, done = 0;
        var gate = new object();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken };

        Parallel.For(0, chunks, parallel,
            () => new Worker(this),
            (c, _, w) =>
            {
                long a = from + c * ChunkSize, b = Math.Min(to, a + ChunkSize);
                var acc = new CohortAccumulator(_times.Length, ny, _compression);
                for (long i = a; i < b; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    w.Solve(i, acc);
                    if (progress is not null && ((i - a) & 31) == 31) progress(Interlocked.Add(ref done, 32));
                }
                if (progress is not null) progress(Interlocked.Add(ref done, (b - a) & 31));
                lock (gate)
                {
                    pending[c] = acc;
                    // Merge strictly in chunk order: determinism does not depend on which thread finished first.
                    while (pending.Remove(nextToMerge, out var ready)) { total.Merge(ready); nextToMerge++; }
                }
                return w;
            },
            _ => { });

        var info = _model.Info;
        return total.ToPartial(info.Id, info.Version, _seed, _times, info.Outputs.Select(o => o.Name).ToArray());
    }

    /// <summary>One thread's workspace: reused for every patient that thread solves.</summary>
    private sealed class Worker(CohortRunner run)
    {
        private readonly SimulationWorkspace _ws = new(run._model, run._options, run._times);
        private readonly double[] _p = new double[run._sampler.ParameterCount];
        private readonly double[] _y = new double[run._times.Length * run._model.Info.Outputs.Count];

        public void Solve(long index, CohortAccumulator acc)
        {
            run._sampler.Sample(run._seed, index, _p);
            var status = _ws.Solve(run._scenario, _p, _y);
            if (status == IntegrationStatus.Completed) acc.Add(_y);
            else acc.Failed++;
        }
    }
}
