using DthGrains.Simulation.Models;
using DthGrains.Simulation.Numerics;

namespace DthGrains.Simulation.Cohorts;

/// <summary>
/// Draws virtual patients: each varying parameter from its distribution, with optional correlations imposed on the
/// underlying standard normals through a Cholesky factor (a Gaussian copula). Patient i's parameters depend only on
/// (seed, i), so any shard on any thread draws the same patient.
/// </summary>
public sealed class CohortSampler
{
    private readonly double[] _base;
    private readonly int[] _indices;
    private readonly Distribution[] _distributions;
    private readonly double[]? _cholesky;

    /// <summary>
    /// Creates a sampler over <paramref name="baseParameters"/>; <paramref name="varying"/> names the parameters that vary
    /// (null: all with a distribution in the model). <paramref name="correlation"/> is a row-major correlation matrix over
    /// the varying parameters, in that order.
    /// </summary>
    public CohortSampler(ModelInfo model, double[] baseParameters, IReadOnlyList<string>? varying = null, double[]? correlation = null,
        IReadOnlyDictionary<string, Distribution>? overrides = null)
    {
        _base = (double[])baseParameters.Clone();
        var names = varying ?? model.Parameters.Where(p => p.Variability is not null).Select(p => p.Name).ToList();
        _indices = names.Select(model.ParameterIndex).ToArray();
        _distributions = names.Select(n =>
            overrides is not null && overrides.TryGetValue(n, out var d) ? d
            : model.Parameters[model.ParameterIndex(n)].Variability
              ?? throw new ArgumentException($"Parameter '{n}' of model '{model.Id}' has no inter-individual distribution.")).ToArray();
        if (correlation is not null)
        {
            int k = _indices.Length;
            if (correlation.Length != k * k) throw new ArgumentException($"Correlation matrix must be {k}×{k}.");
            _cholesky = Cholesky.Factor(correlation, k);
        }
    }

    /// <summary>Names of the varying parameters' indices.</summary>
    public IReadOnlyList<int> VaryingIndices => _indices;

    /// <summary>Number of parameters written by <see cref="Sample"/>.</summary>
    public int ParameterCount => _base.Length;

    /// <summary>Writes patient <paramref name="index"/>'s full parameter vector. Allocation-free.</summary>
    public void Sample(ulong seed, long index, Span<double> parameters)
    {
        var rng = Xoshiro256StarStar.ForStream(seed, index);
        _base.CopyTo(parameters);
        int k = _indices.Length;
        Span<double> z = k <= 64 ? stackalloc double[k] : new double[k];
        Span<double> c = k <= 64 ? stackalloc double[k] : new double[k];
        for (int attempt = 0; attempt < 100_000; attempt++)
        {
            for (int i = 0; i < k; i++) z[i] = rng.NextNormal();
            if (_cholesky is null) z.CopyTo(c);
            else
            {
                for (int i = 0; i < k; i++)
                {
                    double s = 0;
                    for (int j = 0; j <= i; j++) s += _cholesky[i * k + j] * z[j];
                    c[i] = s;
                }
            }
            bool ok = true;
            for (int i = 0; i < k && ok; i++)
            {
                double v = _distributions[i].FromStandardNormal(c[i]);
                ok = _distributions[i].Accepts(v);
                parameters[_indices[i]] = v;
            }
            if (ok) return;
        }
        throw new InvalidOperationException("Truncation rejects nearly every draw: check the truncation bounds.");
    }
}
