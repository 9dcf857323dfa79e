using DthGrains.Simulation.Numerics;

namespace DthGrains.Simulation.Cohorts;

/// <summary>
/// An inter-individual distribution of a parameter. Every distribution is written as a transform of a standard
/// normal draw z, so correlations can be imposed on the z's (through a Cholesky factor) whatever the marginals are
/// (a Gaussian copula; for normal and lognormal marginals the correlation is exactly that of the (log-)values).
/// </summary>
public abstract record Distribution
{
    /// <summary>Maps a standard normal draw to a value of this distribution.</summary>
    public abstract double FromStandardNormal(double z);

    /// <summary>False when a value must be rejected (truncation); the sampler then redraws the whole vector.</summary>
    public virtual bool Accepts(double value) => true;

    /// <summary>Theoretical mean where it has a closed form (used by tests and reports).</summary>
    public abstract double Mean { get; }

    /// <summary>Short description for reports, e.g. "LogNormal(median 0.0161, CV 25%)".</summary>
    public abstract string Describe();
}

/// <summary>Normal(μ, σ).</summary>
public sealed record NormalDistributionSpec(double Mu, double Sigma) : Distribution
{
    public override double FromStandardNormal(double z) => Mu + Sigma * z;
    public override double Mean => Mu;
    public override string Describe() => FormattableString.Invariant($"Normal({Mu:G4}, {Sigma:G4})");
}

/// <summary>LogNormal: ln X ~ Normal(μ, σ). <see cref="FromMedianCv"/> is the usual way to state it.</summary>
public sealed record LogNormalDistribution(double Mu, double Sigma) : Distribution
{
    /// <summary>Lognormal with the given median and coefficient of variation (CV = sqrt(exp(σ²) − 1)).</summary>
    public static LogNormalDistribution FromMedianCv(double median, double cv) =>
        new(Math.Log(median), Math.Sqrt(Math.Log(1 + cv * cv)));

    public override double FromStandardNormal(double z) => Math.Exp(Mu + Sigma * z);
    public override double Mean => Math.Exp(Mu + 0.5 * Sigma * Sigma);
    public override string Describe() => FormattableString.Invariant($"LogNormal(median {Math.Exp(Mu):G4}, σlog {Sigma:G3})");
}

/// <summary>Uniform on [a, b], through Φ(z).</summary>
public sealed record UniformDistribution(double Lower, double Upper) : Distribution
{
    public override double FromStandardNormal(double z) => Lower + (Upper - Lower) * NormalDistribution.Cdf(z);
    public override double Mean => 0.5 * (Lower + Upper);
    public override string Describe() => FormattableString.Invariant($"Uniform({Lower:G4}, {Upper:G4})");
}

/// <summary>Another distribution truncated to [lower, upper] by rejection (exact, and it keeps correlations).</summary>
public sealed record TruncatedDistribution(Distribution Inner, double Lower, double Upper) : Distribution
{
    public override double FromStandardNormal(double z) => Inner.FromStandardNormal(z);
    public override bool Accepts(double value) => value >= Lower && value <= Upper && Inner.Accepts(value);
    public override double Mean => double.NaN; // no closed form in general
    public override string Describe() => FormattableString.Invariant($"{Inner.Describe()} truncated to [{Lower:G4}, {Upper:G4}]");
}

/// <summary>No variability: always the same value.</summary>
public sealed record FixedDistribution(double Value) : Distribution
{
    public override double FromStandardNormal(double z) => Value;
    public override double Mean => Value;
    public override string Describe() => FormattableString.Invariant($"Fixed({Value:G4})");
}
