using System.Buffers.Binary;
using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Statistics;

namespace DthGrains.Domain.Runs;

/// <summary>
/// A shard's mergeable statistics (Welford moments and a t-digest per output and time point), encoded as
/// little-endian binary in base64: exact (bit for bit, including infinities of empty sketches) and about a third the
/// size of the same numbers as JSON text. Format <see cref="Format"/>: nt, ny (int32), compression (float64), then per
/// cell: count (int64), mean, m2, min, max, sketch min, sketch max (float64), centroids n (int32), n means, n weights.
/// </summary>
public sealed record ShardStatistics(long Individuals, long Failed, string Format, string Data)
{
    public const string CurrentFormat = "dth.partial/1";

    public static ShardStatistics From(CohortPartial p)
    {
        int cells = p.Moments.Length;
        int size = 16 + p.Sketches.Sum(s => 8 + 7 * 8 + 4 + 16 * s.Means.Length);
        var bytes = new byte[size];
        int o = 0;
        void I32(int v) { BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(o), v); o += 4; }
        void I64(long v) { BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(o), v); o += 8; }
        void F64(double v) { BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(o), v); o += 8; }
        I32(p.Times.Length);
        I32(p.OutputNames.Length);
        F64(p.Sketches.Length > 0 ? p.Sketches[0].Compression : 100);
        for (int k = 0; k < cells; k++)
        {
            var m = p.Moments[k];
            var s = p.Sketches[k];
            I64(m.Count); F64(m.Mean); F64(m.M2); F64(m.Min); F64(m.Max);
            F64(s.Min); F64(s.Max);
            I32(s.Means.Length);
            foreach (var v in s.Means) F64(v);
            foreach (var v in s.Weights) F64(v);
        }
        return new ShardStatistics(p.Individuals, p.Failed, CurrentFormat, Convert.ToBase64String(bytes, 0, o));
    }

    public CohortPartial ToPartial(string modelId, string modelVersion, ulong seed, double[] times, string[] outputs)
    {
        if (Format != CurrentFormat) throw new InvalidOperationException($"Unknown shard statistics format '{Format}'.");
        var data = Convert.FromBase64String(Data);
        int o = 0;
        int I32() { var v = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(o)); o += 4; return v; }
        long I64() { var v = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(o)); o += 8; return v; }
        double F64() { var v = BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(o)); o += 8; return v; }
        int nt = I32(), ny = I32();
        double compression = F64();
        if (nt != times.Length || ny != outputs.Length) throw new InvalidOperationException("Shard statistics do not match the run's time grid and outputs.");
        var moments = new RunningMoments[nt * ny];
        var sketches = new QuantileSketchState[nt * ny];
        for (int k = 0; k < moments.Length; k++)
        {
            moments[k] = new RunningMoments { Count = I64(), Mean = F64(), M2 = F64(), Min = F64(), Max = F64() };
            double min = F64(), max = F64();
            int n = I32();
            var means = new double[n];
            var weights = new double[n];
            for (int i = 0; i < n; i++) means[i] = F64();
            for (int i = 0; i < n; i++) weights[i] = F64();
            sketches[k] = new QuantileSketchState(compression, means, weights, min, max);
        }
        return new CohortPartial(modelId, modelVersion, seed, Individuals, Failed, times, outputs, moments, sketches);
    }
}

/// <summary>
/// Summary statistics and percentile bands over time of a run's subjects: index (output × times + time) for Mean and
/// StandardDeviation, ((output × times + time) × percentiles + k) for Bands. Null where a value is undefined.
/// </summary>
public sealed record RunSummary(
    long Individuals,
    long Failed,
    double[] Times,
    string[] Outputs,
    string[] Units,
    double[] Percentiles,
    double?[] Mean,
    double?[] StandardDeviation,
    double?[] Bands)
{
    public static RunSummary From(CohortPartial merged, IReadOnlyList<double> percentiles, string[] units)
    {
        var s = CohortSummary.From(merged, percentiles);
        return new RunSummary(s.Individuals, s.Failed, s.Times, s.OutputNames, units, s.Percentiles,
            Finite(s.Mean), Finite(s.StandardDeviation), Finite(s.Bands));
    }

    public static double?[] Finite(IEnumerable<double> values) => values.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray();
}

/// <summary>Sobol indices of a sensitivity run (output: the mean of the model's first output over the time grid).</summary>
public sealed record SensitivityResult(string Output, string[] Inputs, double?[] FirstOrder, double?[] Total, double? Variance, int BaseSamples, int Evaluations);
