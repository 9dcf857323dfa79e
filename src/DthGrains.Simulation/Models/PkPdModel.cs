using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Scenarios;
using static DthGrains.Simulation.Units.UnitRegistry;

namespace DthGrains.Simulation.Models;

/// <summary>
/// Two-compartment pharmacokinetics with first-order absorption, an effect compartment (Sheiner LB et al. 1979,
/// Clin Pharmacol Ther 25:358) and a sigmoid Emax response (Holford NHG, Sheiner LB 1981, Clin Pharmacokinet 6:429):
/// <code>
/// dAg/dt = −ka·Ag
/// dAc/dt = ka·Ag − (CL + Q)/Vc·Ac + Q/Vp·Ap + r_iv
/// dAp/dt = Q/Vc·Ac − Q/Vp·Ap
/// dCe/dt = ke0·(Ac/Vc − Ce)
/// E = E0 + Emax·Ceᵞ/(EC50ᵞ + Ceᵞ)
/// </code>
/// Linear, so the Jacobian is analytic and constant. Time in hours. The parameters are a generic small-molecule
/// example (not one drug); <see cref="StiffParameters"/> gives fast distribution and equilibration, a stiff case.
/// </summary>
public sealed class PkPdModel : ModelDefinition
{
    /// <summary>Model id.</summary>
    public const string Id = "pkpd-2cmt-emax";

    internal const int Ka = 0, F = 1, CL = 2, Vc = 3, Q = 4, Vp = 5, Ke0 = 6, E0 = 7, Emax = 8, EC50 = 9, Hill = 10;
    internal const int Oral = 0, IvBolus = 1, IvInfusion = 2;
    private const string Generic = "generic example values (textbook ranges: Rowland & Tozer, Clinical Pharmacokinetics and Pharmacodynamics, 4th ed.)";

    private static readonly ModelInfo ModelInfo = new(
        Id, "1.0.0", "Two-compartment PK with first-order absorption, effect compartment and sigmoid Emax",
        "Sheiner LB et al. 1979 Clin Pharmacol Ther 25:358; Holford NHG, Sheiner LB 1981 Clin Pharmacokinet 6:429",
        Hour,
        [
            new("Ag", Milligram, "amount in the absorption depot"),
            new("Ac", Milligram, "amount in the central compartment"),
            new("Ap", Milligram, "amount in the peripheral compartment"),
            new("Ce", MilligramPerLitre, "effect-site concentration"),
        ],
        [
            new("ka", PerHour, "first-order absorption rate", 1.0, 0.1, 5, Generic, LogNormalDistribution.FromMedianCv(1.0, 0.4)),
            new("F", Dimensionless, "oral bioavailability", 1.0, 0.05, 1, Generic),
            new("CL", LitrePerHour, "clearance", 5, 0.5, 50, Generic, LogNormalDistribution.FromMedianCv(5, 0.3)),
            new("Vc", Litre, "central volume", 20, 5, 100, Generic, LogNormalDistribution.FromMedianCv(20, 0.25)),
            new("Q", LitrePerHour, "intercompartmental clearance", 10, 1, 100, Generic, LogNormalDistribution.FromMedianCv(10, 0.3)),
            new("Vp", Litre, "peripheral volume", 50, 5, 300, Generic, LogNormalDistribution.FromMedianCv(50, 0.3)),
            new("ke0", PerHour, "effect-site equilibration rate", 0.5, 0.05, 10, Generic, LogNormalDistribution.FromMedianCv(0.5, 0.3)),
            new("E0", Percent, "baseline effect", 0, 0, 50, Generic),
            new("Emax", Percent, "maximum drug effect", 100, 10, 100, Generic),
            new("EC50", MilligramPerLitre, "effect-site concentration at half-maximal effect", 1, 0.05, 20, Generic, LogNormalDistribution.FromMedianCv(1, 0.4)),
            new("gamma", Dimensionless, "Hill coefficient", 2, 0.5, 5, Generic),
        ],
        [
            new("oral_dose", Milligram, InputKind.Bolus, "oral dose into the absorption depot"),
            new("iv_bolus", Milligram, InputKind.Bolus, "intravenous bolus into the central compartment"),
            new("iv_infusion", MilligramPerHour, InputKind.Rate, "intravenous infusion into the central compartment"),
        ],
        [
            new("Cc", MilligramPerLitre, "central (plasma) concentration"),
            new("Ce", MilligramPerLitre, "effect-site concentration"),
            new("E", Percent, "drug effect"),
        ]);

    /// <summary>Fast distribution and effect-site equilibration (eigenvalues spread over ~5 decades): a stiff case.</summary>
    public static IReadOnlyDictionary<string, double> StiffParameters { get; } = new Dictionary<string, double>
    {
        ["ka"] = 50, ["Q"] = 2000, ["Vp"] = 40, ["ke0"] = 2000,
    };

    /// <inheritdoc />
    public override ModelInfo Info => ModelInfo;

    /// <summary>100 mg orally once daily for 7 days.</summary>
    public override Scenario ReferenceScenario { get; } = Scenario.Create("reference", 168, "h")
        .Describe("100 mg orally every 24 h for 7 days")
        .Repeat("oral_dose", 100, "mg", 0, 24, 7)
        .Build();

    /// <inheritdoc />
    public override bool HasJacobian => true;

    /// <inheritdoc />
    public override void Derivatives(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> dx)
    {
        double vc = p[Vc], vp = p[Vp];
        dx[0] = -p[Ka] * x[0];
        dx[1] = p[Ka] * x[0] - (p[CL] + p[Q]) / vc * x[1] + p[Q] / vp * x[2] + u[IvInfusion];
        dx[2] = p[Q] / vc * x[1] - p[Q] / vp * x[2];
        dx[3] = p[Ke0] * (x[1] / vc - x[3]);
    }

    /// <inheritdoc />
    public override void Jacobian(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> j)
    {
        j.Clear();
        double vc = p[Vc], vp = p[Vp];
        j[0] = -p[Ka];
        j[4] = p[Ka]; j[5] = -(p[CL] + p[Q]) / vc; j[6] = p[Q] / vp;
        j[9] = p[Q] / vc; j[10] = -p[Q] / vp;
        j[13] = p[Ke0] / vc; j[15] = -p[Ke0];
    }

    /// <inheritdoc />
    public override void InitialState(ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> x) => x.Clear();

    /// <inheritdoc />
    public override void ApplyBolus(int input, double amount, ReadOnlySpan<double> p, Span<double> x)
    {
        switch (input)
        {
            case Oral: x[0] += p[F] * amount; break;
            case IvBolus: x[1] += amount; break;
            default: throw new ArgumentOutOfRangeException(nameof(input), $"Input {input} is not a bolus input.");
        }
    }

    /// <summary>Sigmoid Emax response.</summary>
    public static double Effect(double ce, double e0, double emax, double ec50, double hill)
    {
        if (ce <= 0) return e0;
        double a = Math.Pow(ce, hill);
        return e0 + emax * a / (Math.Pow(ec50, hill) + a);
    }

    /// <inheritdoc />
    public override void Outputs(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> y)
    {
        y[0] = x[1] / p[Vc];
        y[1] = x[3];
        y[2] = Effect(x[3], p[E0], p[Emax], p[EC50], p[Hill]);
    }
}
