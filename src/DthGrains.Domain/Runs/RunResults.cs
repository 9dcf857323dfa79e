using System.Buffers.Binary;
using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Statistics;

namespace DthGrains.Domain.Runs;

/// <summary>
/// A shard's mergeable statistics, encoded as compact little-endian binary in base64: exact (bit for bit). Format
/// <see cref="CurrentFormat"/> (dth.partial/2): cells (varint), relative accuracy (float64), then per cell (output ×
/// times + time): count (varint), mean, m2, min, max (float64), the histogram's level and zero count (varints), then its positive
/// and its negative bins, each as: number of bins (varint), first bin index (zigzag varint), counts (varints).
/// Format dth.partial/1 (t-digest centroids, before 2026-11) is still read by nothing that merges: such shards are
/// kept in the ledger as they are, but a run cannot complete from them.
/// </summary>
/// <remarks>
/// <see cref="Data"/> is the binary form in memory and base64 in JSON (as System.Text.Json writes a byte array), so the
/// stored event is the same as when it was a base64 string, without a 90 KB UTF-16 string per shard on the large object heap.
/// </remarks>
public sealed record ShardStatistics(long Individuals, long Failed, string Format, byte[] Data)
{
    public const string CurrentFormat = "dth.partial/2";

    /// <summary>
    /// Why the <see cref="Failed"/> subjects failed, by the solver's reason (<see cref="SolveFailures.Reasons"/>); null
    /// when none did, and in shards recorded before 2026-12 (their failures have no reason).
    /// </summary>
    public IReadOnlyDictionary<string, long>? FailedBy { get; init; }

    public static ShardStatistics From(ShardPartial p) => new(p.Individuals, p.Failed, CurrentFormat, Encode(p)) { FailedBy = p.Failures.ToDictionary() };

    /// <summary>The binary form (what <see cref="Data"/> holds in base64).</summary>
    public static byte[] Encode(ShardPartial p)
    {
        var w = new BinaryBuffer(64 + p.Moments.Length * 64);
        w.VarUInt((ulong)p.Moments.Length);
        w.F64(p.RelativeAccuracy);
        for (int k = 0; k < p.Moments.Length; k++)
        {
            var m = p.Moments[k];
            w.VarUInt((ulong)m.Count); w.F64(m.Mean); w.F64(m.M2); w.F64(m.Min); w.F64(m.Max);
            var h = p.Histograms[k];
            w.VarUInt((ulong)h.Level);
            w.VarUInt((ulong)h.Zero);
            Bins(h.Positive);
            Bins(h.Negative);
        }
        return w.ToArray();

        void Bins((int Offset, ReadOnlyMemory<int> Counts) bins)
        {
            w.VarUInt((ulong)bins.Counts.Length);
            if (bins.Counts.Length == 0) return;
            w.VarUInt((ulong)((bins.Offset << 1) ^ (bins.Offset >> 31)));
            foreach (var c in bins.Counts.Span) w.VarUInt((ulong)c);
        }
    }

    public ShardPartial ToPartial(int cells)
    {
        if (Format != CurrentFormat) throw new InvalidOperationException($"Shard statistics in format '{Format}' cannot be merged by this engine (it merges '{CurrentFormat}').");
        var data = Data;
        int o = 0;
        ulong Var()
        {
            ulong v = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = data[o++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
        }
        double F64() { var v = BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(o)); o += 8; return v; }
        int n = (int)Var();
        double accuracy = F64();
        if (n != cells) throw new InvalidOperationException("Shard statistics do not match the run's time grid and outputs.");
        var moments = new RunningMoments[n];
        var histograms = new LogHistogram[n];
        for (int k = 0; k < n; k++)
        {
            moments[k] = new RunningMoments { Count = (long)Var(), Mean = F64(), M2 = F64(), Min = F64(), Max = F64() };
            int level = (int)Var();
            long zero = (long)Var();
            var (po, pc) = Bins();
            var (no, nc) = Bins();
            histograms[k] = LogHistogram.FromParts(accuracy, level, zero, po, pc, no, nc);
        }
        return new ShardPartial(Individuals, Failed, accuracy, moments, histograms) { Failures = SolveFailures.From(FailedBy) };

        (int, int[]) Bins()
        {
            int count = (int)Var();
            if (count == 0) return (0, []);
            var z = (uint)Var();
            int offset = (int)(z >> 1) ^ -(int)(z & 1);
            var counts = new int[count];
            for (int i = 0; i < count; i++) counts[i] = (int)Var();
            return (offset, counts);
        }
    }
}

/// <summary>
/// A shard's per-subject summary rows (per output: min, mean over the grid, max, final value), as little-endian
/// float64 in base64, row-major, NaN where the subject's solve failed (format <see cref="CurrentFormat"/>).
/// </summary>
/// <remarks><see cref="Data"/>: binary in memory, base64 in JSON (see <see cref="ShardStatistics"/>).</remarks>
public sealed record ShardRows(string Format, int Width, byte[] Data)
{
    public const string CurrentFormat = "dth.rows/1";

    public static ShardRows From(ReadOnlySpan<double> rows, int width)
    {
        var bytes = new byte[rows.Length * 8];
        for (int i = 0; i < rows.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), rows[i]);
        return new ShardRows(CurrentFormat, width, bytes);
    }

    /// <summary>SHA-256 of <see cref="Bytes"/>, lower-case hex: what a shard event records as its rows digest.</summary>
    public string Sha256Hex() => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Bytes()));

    /// <summary>The raw bytes (what goes into the result hash).</summary>
    public byte[] Bytes()
    {
        if (Format != CurrentFormat) throw new InvalidOperationException($"Unknown subject rows format '{Format}'.");
        return Data;
    }

    /// <summary>Why each row's subject failed to solve (null where it completed): see <see cref="Simulation.Cohorts.SolveFailures.ReasonOf"/>.</summary>
    public string?[] Failures()
    {
        var bytes = Bytes();
        var rows = Width == 0 ? 0 : bytes.Length / 8 / Width;
        var failures = new string?[rows];
        for (int r = 0; r < rows; r++)
            failures[r] = Simulation.Cohorts.SolveFailures.ReasonOf(BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(r * Width * 8)));
        return failures;
    }

    /// <summary>The values, null where a solve failed.</summary>
    public double?[] Values()
    {
        var bytes = Bytes();
        var values = new double?[bytes.Length / 8];
        for (int i = 0; i < values.Length; i++)
        {
            var v = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i * 8));
            values[i] = double.IsFinite(v) ? v : null;
        }
        return values;
    }
}

/// <summary>Little-endian binary with unsigned LEB128 varints.</summary>
internal sealed class BinaryBuffer(int capacity)
{
    private byte[] _bytes = new byte[Math.Max(16, capacity)];
    private int _length;

    private Span<byte> Take(int n)
    {
        if (_length + n > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + n));
        var span = _bytes.AsSpan(_length, n);
        _length += n;
        return span;
    }

    public void F64(double v) => BinaryPrimitives.WriteDoubleLittleEndian(Take(8), v);

    public void VarUInt(ulong v)
    {
        while (v >= 0x80)
        {
            Take(1)[0] = (byte)(v | 0x80);
            v >>= 7;
        }
        Take(1)[0] = (byte)v;
    }

    public byte[] ToArray() => _bytes.AsSpan(0, _length).ToArray();
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
    /// <summary>Why the <see cref="Failed"/> subjects failed, by reason (<see cref="SolveFailures.Reasons"/>); null when none did (or the reasons were not recorded).</summary>
    public IReadOnlyDictionary<string, long>? FailedBy { get; init; }

    /// <summary>
    /// Per output, the relative accuracy of its bands (the coarsest of its time points: 1%, 2% or 4%); null in runs
    /// recorded before 2026-12-06.
    /// </summary>
    public double[]? BandAccuracy { get; init; }

    /// <summary>
    /// Per output, the magnitude below which a band is only known to lie below it (values that small were folded
    /// together, <see cref="LogHistogram.FoldThreshold"/>); null where nothing was, and in runs recorded before 2026-12-06.
    /// </summary>
    public double?[]? BandFloor { get; init; }

    /// <summary>
    /// The same per output and time point, indexed as <see cref="Mean"/>: a band whose magnitude is at most its cell's
    /// floor is only known to lie below it (a decayed concentration's percentiles read at the folded bin are not values).
    /// Null where nothing was folded, and in runs recorded before session 15 (2026-12-06).
    /// </summary>
    public double?[]? BandFloors { get; init; }

    public static RunSummary From(ShardPartial merged, double[] times, string[] outputs, IReadOnlyList<double> percentiles, string[] units)
    {
        var s = merged.Summarise(times, outputs, percentiles);
        var accuracy = new double[outputs.Length];
        var floor = new double?[outputs.Length];
        var floors = new double?[outputs.Length * times.Length];
        for (int y = 0; y < outputs.Length; y++)
            for (int t = 0; t < times.Length; t++)
            {
                var h = merged.Histograms[y * times.Length + t];
                if (h.Count == 0) continue;
                accuracy[y] = Math.Max(accuracy[y], h.CurrentRelativeAccuracy);
                if (h.FoldThreshold is not { } below) continue;
                floors[y * times.Length + t] = below;
                floor[y] = Math.Max(floor[y] ?? 0, below);
            }
        return new RunSummary(s.Individuals, s.Failed, s.Times, s.OutputNames, units, s.Percentiles,
            Finite(s.Mean), Finite(s.StandardDeviation), Finite(s.Bands))
        {
            FailedBy = merged.Failures.ToDictionary(), BandAccuracy = accuracy, BandFloor = floor, BandFloors = floors,
        };
    }

    public static double?[] Finite(IEnumerable<double> values) => values.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray();
}

/// <summary>Sobol indices of a sensitivity run: of <see cref="Statistic"/> of <see cref="Output"/> over the time grid.</summary>
/// <param name="Dropped">Base samples left out because one of their evaluations failed to solve (0 in runs recorded before 2026-12-06).</param>
/// <param name="Statistic">mean, final, min, max or auc (mean in runs recorded before 2026-12-06, the only one then).</param>
/// <param name="FirstOrderError">Standard error of each first-order index (null in runs recorded before 2026-12-06).</param>
/// <param name="TotalError">Standard error of each total index (likewise).</param>
public sealed record SensitivityResult(string Output, string[] Inputs, double?[] FirstOrder, double?[] Total, double? Variance, int BaseSamples, int Evaluations,
    int Dropped = 0, string Statistic = "mean", double?[]? FirstOrderError = null, double?[]? TotalError = null)
{
    public static SensitivityResult From(string output, string statistic, SobolIndices s) =>
        new(output, s.Inputs, RunSummary.Finite(s.FirstOrder), RunSummary.Finite(s.Total), double.IsFinite(s.Variance) ? s.Variance : null, s.BaseSamples, s.Evaluations,
            s.Dropped, statistic, s.FirstOrderError is { } fe ? RunSummary.Finite(fe) : null, s.TotalError is { } te ? RunSummary.Finite(te) : null);
}

/// <summary>
/// A sensitivity shard's contribution to the Sobol estimators (<see cref="SobolPartial"/>, exact): base samples kept
/// and dropped, the moments of f(A) and f(B), and the two sums per input. Null stands for a value that is not finite
/// (JSON has no NaN), which the merged indices then report as null.
/// </summary>
public sealed record SensitivitySums(long Samples, long Dropped, long Count, double? Mean, double? M2, double?[] First, double?[] Total,
    double?[]? FirstSquares = null, double?[]? TotalSquares = null)
{
    public static SensitivitySums From(SobolPartial p) =>
        new(p.Samples, p.Dropped, p.Outputs.Count, Finite(p.Outputs.Mean), Finite(p.Outputs.M2), RunSummary.Finite(p.SumFirst), RunSummary.Finite(p.SumTotal),
            RunSummary.Finite(p.SumFirstSquares), RunSummary.Finite(p.SumTotalSquares));

    public SobolPartial ToPartial()
    {
        var p = new SobolPartial(First.Length) { Samples = Samples, Dropped = Dropped };
        p.Outputs = new RunningMoments { Count = Count, Mean = Mean ?? double.NaN, M2 = M2 ?? double.NaN };
        for (int i = 0; i < First.Length; i++)
        {
            p.SumFirst[i] = First[i] ?? double.NaN;
            p.SumTotal[i] = Total[i] ?? double.NaN;
            p.SumFirstSquares[i] = FirstSquares?[i] ?? double.NaN;
            p.SumTotalSquares[i] = TotalSquares?[i] ?? double.NaN;
        }
        return p;
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
