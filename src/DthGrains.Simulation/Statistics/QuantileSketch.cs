namespace DthGrains.Simulation.Statistics;

/// <summary>
/// A fixed-size, mergeable quantile sketch: the merging t-digest (Dunning &amp; Ertl 2019) with the k1 (arcsine) scale
/// function, which keeps tails accurate. Memory is bounded by the compression (≈ compression centroids plus a
/// buffer), whatever the number of values, so a million-patient cohort needs no per-patient memory. P² would be
/// smaller but cannot be merged, and cohort shards must be. Deterministic: the same values added and merged in the
/// same order give the same sketch.
/// </summary>
public sealed class QuantileSketch
{
    private double[] _means;
    private double[] _weights;
    private int _count;
    private double[] _buffer;
    private int _buffered;
    private double[] _sortMeans = [], _sortWeights = [];

    /// <summary>Creates a sketch with the given compression (δ ≈ 100 gives rank errors well under 1%).</summary>
    public QuantileSketch(double compression = 100)
    {
        Compression = compression;
        _means = new double[(int)Math.Ceiling(compression) + 8];
        _weights = new double[_means.Length];
        _buffer = new double[16];
    }

    /// <summary>δ.</summary>
    public double Compression { get; }

    /// <summary>Number of values represented.</summary>
    public double TotalWeight { get; private set; }

    /// <summary>Smallest value seen.</summary>
    public double Min { get; private set; } = double.PositiveInfinity;

    /// <summary>Largest value seen.</summary>
    public double Max { get; private set; } = double.NegativeInfinity;

    private int BufferLimit => (int)(5 * Compression);

    /// <summary>Adds a value (NaN ignored).</summary>
    public void Add(double x)
    {
        if (double.IsNaN(x)) return;
        if (_buffered == _buffer.Length)
        {
            if (_buffer.Length < BufferLimit) Array.Resize(ref _buffer, Math.Min(BufferLimit, _buffer.Length * 2));
            else Compress();
        }
        _buffer[_buffered++] = x;
        TotalWeight += 1;
        if (x < Min) Min = x;
        if (x > Max) Max = x;
    }

    /// <summary>Adds another sketch's contents.</summary>
    public void Merge(QuantileSketch other)
    {
        Compress();
        var o = other.Snapshot();
        var means = new double[_count + o.Means.Length];
        var weights = new double[means.Length];
        Array.Copy(_means, means, _count);
        Array.Copy(_weights, weights, _count);
        Array.Copy(o.Means, 0, means, _count, o.Means.Length);
        Array.Copy(o.Weights, 0, weights, _count, o.Weights.Length);
        MergeCentroids(means, weights, means.Length);
        TotalWeight += o.Weights.Sum();
        if (o.Min < Min) Min = o.Min;
        if (o.Max > Max) Max = o.Max;
    }

    /// <summary>Serialisable state (centroids after compression, min, max).</summary>
    public QuantileSketchState Snapshot()
    {
        Compress();
        return new QuantileSketchState(Compression, _means.AsSpan(0, _count).ToArray(), _weights.AsSpan(0, _count).ToArray(), Min, Max);
    }

    /// <summary>Rebuilds a sketch from its state.</summary>
    public static QuantileSketch FromState(QuantileSketchState s)
    {
        var q = new QuantileSketch(s.Compression);
        q.MergeCentroids(s.Means.ToArray(), s.Weights.ToArray(), s.Means.Length);
        q.TotalWeight = s.Weights.Sum();
        q.Min = s.Min;
        q.Max = s.Max;
        return q;
    }

    /// <summary>Estimated quantile q in [0, 1] (linear interpolation between centroid centres; exact at min and max).</summary>
    public double Quantile(double q)
    {
        Compress();
        if (_count == 0) return double.NaN;
        if (q <= 0) return Min;
        if (q >= 1) return Max;
        if (_count == 1) return _means[0];
        double target = q * TotalWeight;
        double cum = 0;
        // Before the first centre: between Min and the first mean.
        double firstCentre = _weights[0] / 2;
        if (target < firstCentre) return Min + (_means[0] - Min) * (target / firstCentre);
        for (int i = 0; i < _count - 1; i++)
        {
            double c0 = cum + _weights[i] / 2;
            double c1 = cum + _weights[i] + _weights[i + 1] / 2;
            if (target <= c1)
                return _means[i] + (_means[i + 1] - _means[i]) * ((target - c0) / (c1 - c0));
            cum += _weights[i];
        }
        double lastCentre = TotalWeight - _weights[_count - 1] / 2;
        return _means[_count - 1] + (Max - _means[_count - 1]) * ((target - lastCentre) / (TotalWeight - lastCentre));
    }

    private void Compress()
    {
        if (_buffered == 0) return;
        int n = _count + _buffered;
        if (_sortMeans.Length < n) { _sortMeans = new double[Math.Max(n, BufferLimit + _means.Length)]; _sortWeights = new double[_sortMeans.Length]; }
        Array.Copy(_means, _sortMeans, _count);
        Array.Copy(_weights, _sortWeights, _count);
        Array.Copy(_buffer, 0, _sortMeans, _count, _buffered);
        Array.Fill(_sortWeights, 1.0, _count, _buffered);
        _buffered = 0;
        MergeCentroids(_sortMeans, _sortWeights, n);
    }

    private void MergeCentroids(double[] means, double[] weights, int n)
    {
        Array.Sort(means, weights, 0, n);
        double total = 0;
        for (int i = 0; i < n; i++) total += weights[i];
        int outCount = 0;
        if (n == 0) { _count = 0; return; }
        double curMean = means[0], curWeight = weights[0], soFar = 0;
        double limit = total * QLimit(0);
        for (int i = 1; i < n; i++)
        {
            double w = weights[i];
            if (soFar + curWeight + w <= limit)
            {
                curWeight += w;
                curMean += (means[i] - curMean) * w / curWeight;
            }
            else
            {
                Emit(ref outCount, curMean, curWeight);
                soFar += curWeight;
                limit = total * QLimit(soFar / total);
                curMean = means[i];
                curWeight = w;
            }
        }
        Emit(ref outCount, curMean, curWeight);
        _count = outCount;
    }

    private void Emit(ref int k, double mean, double weight)
    {
        if (k == _means.Length) { Array.Resize(ref _means, k * 2); Array.Resize(ref _weights, k * 2); }
        _means[k] = mean;
        _weights[k] = weight;
        k++;
    }

    // k1 scale: k(q) = δ/(2π)·asin(2q − 1); a centroid may grow until k increases by 1.
    private double QLimit(double q)
    {
        double k = Compression / (2 * Math.PI) * Math.Asin(Math.Clamp(2 * q - 1, -1, 1)) + 1;
        if (k >= Compression / 4) return 1;
        return (Math.Sin(2 * Math.PI * k / Compression) + 1) / 2;
    }
}

/// <summary>Serialisable state of a <see cref="QuantileSketch"/>: plain arrays, for shard results on the wire.</summary>
public sealed record QuantileSketchState(double Compression, double[] Means, double[] Weights, double Min, double Max);
