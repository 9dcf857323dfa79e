using DthGrains.Simulation.Cohorts;

namespace DthGrains.Simulation.Statistics;

/// <summary>First-order and total Sobol indices per input, with the output variance used.</summary>
/// <param name="Dropped">Base samples left out because one of their d + 2 evaluations failed (no finite value).</param>
/// <param name="FirstOrderError">Standard error of each first-order index: the spread of its estimator's terms over the samples, √(var/n)/V.</param>
/// <param name="TotalError">Standard error of each total index, likewise.</param>
public sealed record SobolIndices(string[] Inputs, double[] FirstOrder, double[] Total, double Variance, int BaseSamples, int Evaluations, int Dropped = 0,
    double[]? FirstOrderError = null, double[]? TotalError = null);

/// <summary>
/// What a range of base samples contributes to the Sobol estimators: the moments of f(A) and f(B), and per input the
/// sums Σ f(B)·(f(A_B^i) − f(A)) and Σ (f(A) − f(A_B^i))². Sums and moments merge, so a study runs in shards; merged in
/// shard order they give the same bits on any number of machines. A base sample with a failed evaluation is dropped
/// from every sum (the estimators stay consistent over the rest) and counted in <see cref="Dropped"/>.
/// </summary>
public sealed class SobolPartial
{
    public SobolPartial(int inputs)
    {
        SumFirst = new double[inputs];
        SumTotal = new double[inputs];
        SumFirstSquares = new double[inputs];
        SumTotalSquares = new double[inputs];
    }

    /// <summary>f(A) and f(B) of the base samples kept (2 per sample).</summary>
    public RunningMoments Outputs;

    /// <summary>Base samples kept.</summary>
    public long Samples;

    /// <summary>Base samples dropped (a failed evaluation).</summary>
    public long Dropped;

    /// <summary>Σ f(B)·(f(A_B^i) − f(A)) per input, over the samples kept.</summary>
    public double[] SumFirst { get; }

    /// <summary>Σ (f(A) − f(A_B^i))² per input, over the samples kept.</summary>
    public double[] SumTotal { get; }

    /// <summary>Σ of the squares of <see cref="SumFirst"/>'s terms per input: their spread gives the index's standard error.</summary>
    public double[] SumFirstSquares { get; }

    /// <summary>Σ of the squares of <see cref="SumTotal"/>'s terms per input.</summary>
    public double[] SumTotalSquares { get; }

    /// <summary>Adds another range's contributions (call in the order of the ranges for bit-identical results).</summary>
    public void Merge(SobolPartial other)
    {
        if (other.SumFirst.Length != SumFirst.Length) throw new ArgumentException("Partials of studies over different inputs do not merge.", nameof(other));
        Outputs.Merge(other.Outputs);
        Samples += other.Samples;
        Dropped += other.Dropped;
        for (int i = 0; i < SumFirst.Length; i++)
        {
            SumFirst[i] += other.SumFirst[i];
            SumTotal[i] += other.SumTotal[i];
            SumFirstSquares[i] += other.SumFirstSquares[i];
            SumTotalSquares[i] += other.SumTotalSquares[i];
        }
    }

    /// <summary>The indices of a study of <paramref name="baseSamples"/> samples, from all its ranges merged.</summary>
    public SobolIndices Indices(string[] names, int baseSamples)
    {
        int d = SumFirst.Length;
        double v = Outputs.Variance, n = Samples;
        var s = new double[d];
        var st = new double[d];
        var se = new double[d];
        var ste = new double[d];
        for (int i = 0; i < d; i++)
        {
            s[i] = SumFirst[i] / n / v;
            st[i] = SumTotal[i] / (2.0 * n) / v;
            // The estimators are means of per-sample terms over V: their standard errors are the terms' (√(var/n)),
            // over V; V's own error is left out (the usual first-order approximation).
            se[i] = StandardError(SumFirst[i], SumFirstSquares[i], n) / v;
            ste[i] = StandardError(SumTotal[i], SumTotalSquares[i], n) / (2.0 * v);
        }
        return new SobolIndices(names, s, st, v, baseSamples, baseSamples * (d + 2), (int)Dropped, se, ste);
    }

    /// <summary>√(var/n) of terms with this sum and sum of squares (NaN for fewer than two).</summary>
    private static double StandardError(double sum, double squares, double n)
    {
        if (n < 2) return double.NaN;
        double mean = sum / n;
        double variance = Math.Max(0, (squares - n * mean * mean) / (n - 1));
        return Math.Sqrt(variance / n);
    }
}

/// <summary>
/// Variance-based global sensitivity: Saltelli's sampling scheme (matrices A, B and A_B^(i), N·(d + 2) evaluations)
/// with Saltelli et al. 2010's first-order estimator S_i = mean(f(B)·(f(A_B^i) − f(A)))/V and Jansen's total-effect
/// estimator S_Ti = mean((f(A) − f(A_B^i))²)/(2V). Inputs are sampled from distributions with a seeded generator: base
/// sample r is the same whichever range of samples is evaluated, so a study splits into ranges (Evaluate)
/// whose partials merge (<see cref="SobolPartial"/>).
/// </summary>
public static class SobolAnalysis
{
    /// <summary>Computes the indices of <paramref name="model"/> over independent inputs, in one range.</summary>
    /// <param name="names">Input names (for the report).</param>
    /// <param name="inputs">Input distributions.</param>
    /// <param name="model">The function f(x); must be thread-safe when <paramref name="parallel"/> is true.</param>
    /// <param name="baseSamples">N.</param>
    /// <param name="seed">Seed of the sample matrices.</param>
    /// <param name="parallel">Evaluate in parallel (results do not depend on it).</param>
    public static SobolIndices Compute(IReadOnlyList<string> names, IReadOnlyList<Distribution> inputs, Func<double[], double> model, int baseSamples, ulong seed, bool parallel = false) =>
        Evaluate(inputs, model, seed, 0, baseSamples, parallel ? Environment.ProcessorCount : 1).Indices([.. names], baseSamples);

    /// <summary>
    /// Evaluates base samples [<paramref name="from"/>, <paramref name="to"/>): 2 + d evaluations each, on up to
    /// <paramref name="maxDegreeOfParallelism"/> threads; the sums are taken in sample order whatever the threads did.
    /// </summary>
    /// <param name="progress">Called with the evaluations done so far in this range (from any thread).</param>
    public static SobolPartial Evaluate(IReadOnlyList<Distribution> inputs, Func<double[], double> model, ulong seed, long from, long to,
        int maxDegreeOfParallelism = 1, Action<long>? progress = null, CancellationToken ct = default) =>
        Evaluate(inputs, 1, (x, y) => y[0] = model(x), seed, from, to, maxDegreeOfParallelism, progress, ct)[0];

    /// <summary>
    /// The same for a model of <paramref name="outputs"/> values (several statistics of one solve): one set of
    /// evaluations, a partial per output, each what the scalar overload gives for that output alone, bit for bit. A base sample is dropped from an output's sums when one of its values
    /// of that output is not finite.
    /// </summary>
    /// <param name="model">writes f(x)'s <paramref name="outputs"/> values into its second argument.</param>
    public static SobolPartial[] Evaluate(IReadOnlyList<Distribution> inputs, int outputs, Action<double[], double[]> model, ulong seed, long from, long to,
        int maxDegreeOfParallelism = 1, Action<long>? progress = null, CancellationToken ct = default) =>
        Evaluate(inputs, outputs, (_, x, y) => model(x, y), seed, from, to, maxDegreeOfParallelism, progress, ct);

    /// <summary>The same, with a model that is also told which base sample an evaluation belongs to (its first argument).</summary>
    /// <param name="announce">when given, told each base sample's d + 2 points before they are evaluated, in the order
    /// they will be (on the thread that evaluates them): a model that evaluates points in batches takes them at once.</param>
    public static SobolPartial[] Evaluate(IReadOnlyList<Distribution> inputs, int outputs, Action<long, double[], double[]> model, ulong seed, long from, long to,
        int maxDegreeOfParallelism = 1, Action<long>? progress = null, CancellationToken ct = default, Action<long, double[][]>? announce = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        int d = inputs.Count, rows = checked((int)(to - from));
        var rng = new Xoshiro256StarStar(seed);
        // Base sample r takes 2d normal draws (its row of A, then of B): skip those before the range.
        for (long skip = 2L * d * from; skip > 0; skip--) rng.NextNormal();
        var a = new double[rows * d];
        var b = new double[rows * d];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < d; j++) a[r * d + j] = inputs[j].FromStandardNormal(rng.NextNormal());
            for (int j = 0; j < d; j++) b[r * d + j] = inputs[j].FromStandardNormal(rng.NextNormal());
        }
        // Per output, per sample: f(A), f(B), f(A_B^1..d).
        int width = d + 2;
        var f = new double[outputs * rows * width];
        long done = 0;
        void Row(int r)
        {
            ct.ThrowIfCancellationRequested();
            var x = new double[d];
            var y = new double[outputs];
            void At(int column)
            {
                model(from + r, x, y);
                for (int k = 0; k < outputs; k++) f[(k * rows + r) * width + column] = y[k];
            }
            if (announce is not null)
            {
                var points = new double[d + 2][];
                points[0] = a.AsSpan(r * d, d).ToArray();
                points[1] = b.AsSpan(r * d, d).ToArray();
                for (int i = 0; i < d; i++)
                {
                    points[2 + i] = a.AsSpan(r * d, d).ToArray();
                    points[2 + i][i] = b[r * d + i];
                }
                announce(from + r, points);
            }
            a.AsSpan(r * d, d).CopyTo(x);
            At(0);
            b.AsSpan(r * d, d).CopyTo(x);
            At(1);
            for (int i = 0; i < d; i++)
            {
                a.AsSpan(r * d, d).CopyTo(x);
                x[i] = b[r * d + i];
                At(2 + i);
            }
            progress?.Invoke(Interlocked.Add(ref done, width));
        }
        if (maxDegreeOfParallelism > 1) Parallel.For(0, rows, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = ct }, Row);
        else for (int r = 0; r < rows; r++) Row(r);

        var partials = new SobolPartial[outputs];
        for (int k = 0; k < outputs; k++)
        {
            var partial = partials[k] = new SobolPartial(d);
            for (int r = 0; r < rows; r++)
            {
                var row = f.AsSpan((k * rows + r) * width, width);
                if (!AllFinite(row)) { partial.Dropped++; continue; }
                double fa = row[0], fb = row[1];
                partial.Outputs.Add(fa);
                partial.Outputs.Add(fb);
                partial.Samples++;
                for (int i = 0; i < d; i++)
                {
                    double first = fb * (row[2 + i] - fa), diff = fa - row[2 + i], total = diff * diff;
                    partial.SumFirst[i] += first;
                    partial.SumTotal[i] += total;
                    partial.SumFirstSquares[i] += first * first;
                    partial.SumTotalSquares[i] += total * total;
                }
            }
        }
        return partials;
    }

    private static bool AllFinite(ReadOnlySpan<double> values)
    {
        foreach (var v in values) if (!double.IsFinite(v)) return false;
        return true;
    }
}
