using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;
using DthGrains.Simulation.Statistics;

namespace DthGrains.Simulation.Cohorts;

/// <summary>
/// Where subject i of a run comes from: its parameter vector and scenario depend only on i (and the run's request),
/// so any shard on any silo draws the same subject. Implementations must be thread-safe.
/// </summary>
public interface ISubjectSource
{
    /// <summary>Number of subjects (virtual patients, design points or scenarios).</summary>
    long Count { get; }

    /// <summary>Writes subject <paramref name="index"/>'s full parameter vector.</summary>
    void Parameters(long index, Span<double> parameters);

    /// <summary>The scenario subject <paramref name="index"/> is simulated under.</summary>
    CompiledScenario ScenarioOf(long index);
}

/// <summary>Virtual patients drawn by a <see cref="CohortSampler"/> (cohort trials, Monte-Carlo uncertainty).</summary>
public sealed class SampledSubjects(CohortSampler sampler, ulong seed, long count, CompiledScenario scenario) : ISubjectSource
{
    public long Count => count;

    public void Parameters(long index, Span<double> parameters) => sampler.Sample(seed, index, parameters);

    public CompiledScenario ScenarioOf(long index) => scenario;
}

/// <summary>Rows of a design (a sweep grid or Latin hypercube) over some parameters of a base vector.</summary>
public sealed class DesignSubjects(double[] baseParameters, int[] indices, double[][] rows, CompiledScenario scenario) : ISubjectSource
{
    public long Count => rows.Length;

    public void Parameters(long index, Span<double> parameters)
    {
        baseParameters.CopyTo(parameters);
        var row = rows[index];
        for (int j = 0; j < indices.Length; j++) parameters[indices[j]] = row[j];
    }

    public CompiledScenario ScenarioOf(long index) => scenario;
}

/// <summary>One parameter vector under several scenarios (a scenario set; one scenario is a single run).</summary>
public sealed class ScenarioSubjects(double[] parameters, IReadOnlyList<CompiledScenario> scenarios) : ISubjectSource
{
    public long Count => scenarios.Count;

    public void Parameters(long index, Span<double> p) => parameters.CopyTo(p);

    public CompiledScenario ScenarioOf(long index) => scenarios[(int)index];
}

/// <summary>
/// Runs subjects [from, to) of any <see cref="ISubjectSource"/> into mergeable partial statistics (<see cref="ShardPartial"/>), and optionally a
/// per-subject summary (per output: min, mean over the grid, max, final value; NaN when the solve failed, the first
/// one saying why: <see cref="SolveFailures.Marker"/>). Chunks are merged in chunk order: the result does not depend on
/// threads or scheduling. The one cohort path: the platform's workers, <c>dth sim local</c> and a run's reproduction.
/// </summary>
public sealed class SubjectShardRunner
{
    /// <summary>Subjects per chunk of the engine's models (a model may take fewer: <see cref="SimulationModel.SubjectsPerChunk"/>).</summary>
    public const int ChunkSize = 64;

    /// <summary>Numbers per subject and output in the per-subject summary: min, mean, max, final.</summary>
    public const int SummaryPerOutput = 4;

    private readonly SimulationModel _model;
    private readonly SolverOptions _options;
    private readonly double[] _times;
    private readonly ISubjectSource _subjects;
    private readonly double _accuracy;
    private readonly ulong _runSeed;

    /// <param name="runSeed">the run's seed, from which each subject's <see cref="SubjectIdentity.Seed"/> is derived (for codes that draw random numbers).</param>
    public SubjectShardRunner(SimulationModel model, SolverOptions options, double[] times, ISubjectSource subjects, double relativeAccuracy = LogHistogram.DefaultRelativeAccuracy,
        ulong runSeed = 0)
    {
        _model = model; _options = options; _times = times; _subjects = subjects; _accuracy = relativeAccuracy; _runSeed = runSeed;
    }

    /// <summary>Width of one subject's summary row.</summary>
    public int SummaryWidth => _model.Info.Outputs.Count * SummaryPerOutput;

    /// <summary>
    /// Simulates subjects [from, to). <paramref name="summaries"/>, when given, receives (to − from) × <see cref="SummaryWidth"/>
    /// numbers. <paramref name="progress"/> receives the number of subjects finished so far (from any thread).
    /// </summary>
    public ShardPartial Run(long from, long to, double[]? summaries = null, int maxDegreeOfParallelism = 1, Action<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(from, to);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(to, _subjects.Count);
        if (summaries is not null && summaries.Length < (to - from) * SummaryWidth) throw new ArgumentException("Summary buffer too short.", nameof(summaries));
        int ny = _model.Info.Outputs.Count;
        int chunkSize = _model.SubjectsPerChunk;
        long chunks = (to - from + chunkSize - 1) / chunkSize;
        int cells = _times.Length * ny;
        // Moments depend on the order of their values, so each chunk keeps its own and they are merged in chunk order.
        // Sketches merge exactly in any order: each thread keeps one set for all its chunks, merged when it ends.
        var moments = new RunningMoments[cells];
        var pending = new Dictionary<long, RunningMoments[]>();
        var spare = new Stack<RunningMoments[]>();
        ShardAccumulator? result = null;
        long nextToMerge = 0, done = 0;
        var gate = new object();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken };

        Parallel.For(0, chunks, parallel,
            () => new Worker(this),
            (c, _, w) =>
            {
                long a = from + c * chunkSize, b = Math.Min(to, a + chunkSize);
                RunningMoments[]? chunk;
                lock (gate) spare.TryPop(out chunk);
                chunk ??= new RunningMoments[cells];
                // The chunk's outputs are kept, then added to the statistics cell by cell (ShardAccumulator.AddBlock).
                int completed = 0;
                w.Announce(a, b, cancellationToken);
                for (long i = a; i < b; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var status = w.Solve(i, completed, cancellationToken, summaries is null ? default : summaries.AsSpan((int)((i - from) * SummaryWidth), SummaryWidth));
                    if (status == IntegrationStatus.Completed) completed++;
                    else w.Statistics.AddFailure(status);
                    if (completed < w.Rows) continue;
                    // A fine output grid fills a block before the chunk ends: blocks follow one another in subject order.
                    w.AddTo(chunk, completed);
                    completed = 0;
                }
                w.AddTo(chunk, completed);
                if (progress is not null) progress(Interlocked.Add(ref done, b - a));
                lock (gate)
                {
                    pending[c] = chunk;
                    while (pending.Remove(nextToMerge, out var ready))
                    {
                        for (int k = 0; k < cells; k++) moments[k].Merge(ready[k]);
                        nextToMerge++;
                        Array.Clear(ready);
                        spare.Push(ready);
                    }
                }
                return w;
            },
            w =>
            {
                lock (gate)
                {
                    if (result is null) result = w.Statistics;
                    else result.MergeSketches(w.Statistics);
                }
                w.Dispose();
            });

        // The first thread's accumulator carries the result: its own moments were never used (all empty), so merging the
        // chunk-ordered moments into it copies them bit for bit.
        result ??= new ShardAccumulator(cells, _accuracy);
        result.MergeMoments(moments);
        return result.ToPartial();
    }

    // Not ArrayPool.Shared: it keeps a returned array in the returning thread's own slot first, and a platform shard solves
    // on a thread of its own that ends with the shard, so every shard would rent a new block.
    private static readonly System.Buffers.ArrayPool<double> Blocks = System.Buffers.ArrayPool<double>.Create(MaxBlockDoubles, 2 * Environment.ProcessorCount);

    /// <summary>
    /// A block holds at most this many numbers (2 MB): a chunk's 64 subjects on the usual grids (some 400 cells: 200 KB),
    /// fewer subjects per block on a fine grid, so a worker's memory does not grow 64-fold with the grid.
    /// </summary>
    public const int MaxBlockDoubles = 1 << 18;

    private sealed class Worker(SubjectShardRunner run) : IDisposable
    {
        private readonly ISubjectSimulator _ws = run._model.CreateSimulator(run._options, run._times);
        private readonly double[] _p = new double[run._model.Info.Parameters.Count];
        private readonly int _cells = run._times.Length * run._model.Info.Outputs.Count;

        /// <summary>The thread's sketches and counts of individuals (its moments stay empty: chunks keep their own).</summary>
        public ShardAccumulator Statistics { get; } = new(run._times.Length * run._model.Info.Outputs.Count, run._accuracy);

        /// <summary>Subjects' outputs one block holds: the chunk's, unless the grid is fine (<see cref="MaxBlockDoubles"/>).</summary>
        public int Rows { get; } = Math.Clamp(MaxBlockDoubles / (run._times.Length * run._model.Info.Outputs.Count), 1, run._model.SubjectsPerChunk);

        // A row per completed subject: some 200 KB (large-object heap), so rented rather than allocated per shard.
        private double[]? _block;

        private double[] Block => _block ??= Blocks.Rent(Rows * _cells);

        /// <summary>Tells a simulator that takes subjects in batches (an external code) which ones come next; the rest need not know.</summary>
        public void Announce(long from, long to, CancellationToken ct)
        {
            if (_ws is not IPrefetchingSimulator batches || to - from < 2) return;
            var cases = new SubjectCase[to - from];
            for (long i = from; i < to; i++)
            {
                var p = new double[_p.Length];
                run._subjects.Parameters(i, p);
                cases[i - from] = new SubjectCase(run._subjects.ScenarioOf(i), p, SubjectIdentity.Of(run._runSeed, i));
            }
            batches.Prefetch(cases, ct);
        }

        /// <summary>Solves subject <paramref name="index"/> into the block's row; how the solve ended (only <see cref="IntegrationStatus.Completed"/> counts).</summary>
        public IntegrationStatus Solve(long index, int row, CancellationToken ct, Span<double> summary)
        {
            var y = Block.AsSpan(row * _cells, _cells);
            run._subjects.Parameters(index, _p);
            var status = _ws.Solve(run._subjects.ScenarioOf(index), _p, y, SubjectIdentity.Of(run._runSeed, index), ct);
            var completed = status == IntegrationStatus.Completed;
            if (summary.IsEmpty) return status;
            int ny = run._model.Info.Outputs.Count, nt = run._times.Length;
            for (int k = 0; k < ny; k++)
            {
                if (!completed)
                {
                    summary.Slice(k * SummaryPerOutput, SummaryPerOutput).Fill(double.NaN);
                    continue;
                }
                double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
                for (int t = 0; t < nt; t++)
                {
                    double v = y[t * ny + k];
                    if (v < min) min = v;
                    if (v > max) max = v;
                    sum += v;
                }
                summary[k * SummaryPerOutput] = min;
                summary[k * SummaryPerOutput + 1] = sum / nt;
                summary[k * SummaryPerOutput + 2] = max;
                summary[k * SummaryPerOutput + 3] = y[(nt - 1) * ny + k];
            }
            if (!completed && ny > 0) summary[0] = SolveFailures.Marker(status);
            return status;
        }

        /// <summary>Adds the block's first <paramref name="rows"/> rows to the chunk's moments and the thread's sketches.</summary>
        public void AddTo(RunningMoments[] chunk, int rows) =>
            Statistics.AddBlock(Block, rows, _cells, run._times.Length, run._model.Info.Outputs.Count, chunk);

        public void Dispose()
        {
            if (_block is { } block) Blocks.Return(block);
            _block = null;
        }
    }
}
