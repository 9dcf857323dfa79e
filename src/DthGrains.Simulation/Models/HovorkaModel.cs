using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;
using static DthGrains.Simulation.Units.UnitRegistry;

namespace DthGrains.Simulation.Models;

/// <summary>
/// Hovorka type 1 diabetes model (Hovorka R et al. 2004, Physiol Meas 25:905–920; parameter set as used by
/// Wilinska ME et al. 2010, J Diabetes Sci Technol 4:132):
/// <code>
/// dQ1/dt = −[F01c/(VG·G) + x1]·Q1 + k12·Q2 − FR + UG + EGP0·max(0, 1 − x3)
/// dQ2/dt = x1·Q1 − (k12 + x2)·Q2,                 G = Q1/VG
/// dS1/dt = u − S1/tmaxI,  dS2/dt = (S1 − S2)/tmaxI,  dI/dt = S2/(tmaxI·VI) − ke·I
/// dxj/dt = −kaj·xj + kaj·SjI·I   (j = 1..3: transport, disposal, endogenous production)
/// dD1/dt = −D1/tmaxG,  dD2/dt = (D1 − D2)/tmaxG,   UG = D2/tmaxG
/// </code>
/// F01c = F01·min(1, G/4.5); FR = 0.003·(G − 9)·VG when G ≥ 9 mmol/L. EGP is clamped at zero (as in Wilinska 2010's
/// simulator) because x3 &gt; 1 would otherwise make production negative. Volumes and per-kg fluxes scale with BW.
/// </summary>
public sealed class HovorkaModel : ModelDefinition
{
    /// <summary>Model id.</summary>
    public const string Id = "hovorka-2004";

    internal const int EGP0 = 0, F01 = 1, K12 = 2, Ka1 = 3, Ka2 = 4, Ka3 = 5, SIT = 6, SID = 7, SIE = 8, VG = 9, VI = 10, Ke = 11, TmaxI = 12, TmaxG = 13, AG = 14, BW = 15, Gtarget = 16;
    internal const int Insulin = 0, InsulinBolus = 1, Meal = 2;

    private const string Table1 = "Hovorka R et al. 2004 Physiol Meas 25:905, Table 1";
    private const string Wilinska = "Wilinska ME et al. 2010 J Diabetes Sci Technol 4:132, Table 1";

    // Between-subject variability: lognormal with CVs that approximate the published SDs (Hovorka 2004 Table 1,
    // Wilinska 2010 Table 1). Stated here as CVs; the exact published SDs should be checked before regulatory use.
    private static readonly ModelInfo ModelInfo = new(
        Id, "1.0.0", "Hovorka 2004 model of glucose regulation in type 1 diabetes",
        "Hovorka R, Canonico V, Chassin LJ, et al. 2004 Physiol Meas 25:905-920",
        Minute,
        [
            new("Q1", Millimole, "glucose mass, accessible compartment"),
            new("Q2", Millimole, "glucose mass, non-accessible compartment"),
            new("S1", MilliInsulinUnit, "subcutaneous insulin, compartment 1"),
            new("S2", MilliInsulinUnit, "subcutaneous insulin, compartment 2"),
            new("I", MilliUnitsPerLitre, "plasma insulin"),
            new("x1", PerMinute, "insulin action on glucose transport"),
            new("x2", PerMinute, "insulin action on glucose disposal"),
            new("x3", Dimensionless, "insulin action on endogenous glucose production"),
            new("D1", Millimole, "gut glucose, compartment 1"),
            new("D2", Millimole, "gut glucose, compartment 2"),
        ],
        [
            new("EGP0", Descriptive("mmol/kg/min"), "endogenous glucose production extrapolated to zero insulin", 0.0161, 0.005, 0.035, Table1, LogNormalDistribution.FromMedianCv(0.0161, 0.24)),
            new("F01", Descriptive("mmol/kg/min"), "non-insulin-dependent glucose flux", 0.0097, 0.003, 0.02, Table1, LogNormalDistribution.FromMedianCv(0.0097, 0.23)),
            new("k12", PerMinute, "transfer rate non-accessible → accessible", 0.066, 0.02, 0.15, Table1, LogNormalDistribution.FromMedianCv(0.066, 0.3)),
            new("ka1", PerMinute, "deactivation rate, x1", 0.006, 0.001, 0.03, Table1, LogNormalDistribution.FromMedianCv(0.006, 0.3)),
            new("ka2", PerMinute, "deactivation rate, x2", 0.06, 0.01, 0.2, Table1, LogNormalDistribution.FromMedianCv(0.06, 0.3)),
            new("ka3", PerMinute, "deactivation rate, x3", 0.03, 0.005, 0.1, Table1, LogNormalDistribution.FromMedianCv(0.03, 0.3)),
            new("SIT", Descriptive("1/min per mU/L"), "insulin sensitivity of transport (kb1/ka1)", 51.2e-4, 5e-4, 2e-2, Table1, LogNormalDistribution.FromMedianCv(51.2e-4, 0.35)),
            new("SID", Descriptive("1/min per mU/L"), "insulin sensitivity of disposal (kb2/ka2)", 8.2e-4, 1e-4, 4e-3, Table1, LogNormalDistribution.FromMedianCv(8.2e-4, 0.35)),
            new("SIE", Descriptive("1 per mU/L"), "insulin sensitivity of EGP (kb3/ka3)", 520e-4, 5e-3, 0.2, Table1, LogNormalDistribution.FromMedianCv(520e-4, 0.35)),
            new("VG", Descriptive("L/kg"), "glucose distribution volume", 0.16, 0.1, 0.25, Table1, LogNormalDistribution.FromMedianCv(0.16, 0.12)),
            new("VI", Descriptive("L/kg"), "insulin distribution volume", 0.12, 0.08, 0.2, Table1, LogNormalDistribution.FromMedianCv(0.12, 0.1)),
            new("ke", PerMinute, "insulin elimination rate", 0.138, 0.06, 0.3, Table1, LogNormalDistribution.FromMedianCv(0.138, 0.2)),
            new("tmaxI", Minute, "time to maximum of subcutaneous insulin absorption", 55, 30, 100, Table1, LogNormalDistribution.FromMedianCv(55, 0.2)),
            new("tmaxG", Minute, "time to maximum of gut glucose absorption", 40, 20, 80, Table1, LogNormalDistribution.FromMedianCv(40, 0.2)),
            new("AG", Dimensionless, "carbohydrate bioavailability", 0.8, 0.5, 1, Table1),
            new("BW", Kilogram, "body weight", 70, 40, 150, Wilinska + " (population range)", new TruncatedDistribution(new NormalDistributionSpec(74.9, 14.4), 45, 130)),
            new("Gtarget", MillimolePerLitre, "fasting glucose the default basal insulin rate holds (scenario convention, not a Hovorka parameter)", 6.5, 4, 10, "simulation convention (patients start on a basal rate that keeps them at this steady state)"),
        ],
        [
            new("insulin", MilliUnitsPerMinute, InputKind.Rate, "subcutaneous insulin infusion (default: the basal rate holding Gtarget)"),
            new("insulin_bolus", InsulinUnit, InputKind.Bolus, "subcutaneous insulin bolus"),
            new("meal", Gram, InputKind.Bolus, "ingested carbohydrate"),
        ],
        [
            new("G", MillimolePerLitre, "plasma glucose"),
            new("G_mgdl", MilligramPerDecilitre, "plasma glucose"),
            new("I", MilliUnitsPerLitre, "plasma insulin"),
            new("UG", Descriptive("mmol/min"), "gut absorption rate"),
        ]);

    /// <inheritdoc />
    public override ModelInfo Info => ModelInfo;

    /// <summary>
    /// Meal test in the spirit of Hovorka 2004's simulations: fasting steady state on basal insulin, 50 g carbohydrate at
    /// 60 min with a 3 U prandial bolus, followed for 8 h. The Table 1 mean patient is insulin-sensitive (basal ≈ 0.38 U/h
    /// at 6.5 mmol/L), so a 10 g/U ratio (5 U) drives it below 2 mmol/L; 3 U (≈ 17 g/U) keeps it above 3 mmol/L.
    /// </summary>
    public override Scenario ReferenceScenario { get; } = Scenario.Create("reference", 540)
        .Describe("Fasting steady state on basal insulin; 50 g CHO at 60 min with a 3 U bolus; 9 h")
        .Meal(60, 50)
        .Bolus(60, "insulin_bolus", 3, "U")
        .Build();

    /// <inheritdoc />
    public override void Derivatives(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> dx) =>
        HovorkaSystem.From(p, u).Evaluate(t, x, dx);

    /// <inheritdoc />
    internal override ModelIntegrator CreateIntegrator(SolverOptions options) => new ModelIntegrator<HovorkaSystem>(default, options);

    /// <summary>
    /// The basal insulin rate (mU/min) whose steady state has G = Gtarget: the glucose balance at steady state is
    /// monotone in plasma insulin, so bisection on I finds it; u = ke·VI·I then holds that I.
    /// </summary>
    public override void DefaultInputs(ReadOnlySpan<double> p, Span<double> u)
    {
        base.DefaultInputs(p, u);
        double lo = 0, hi = 2000;
        if (GlucoseBalance(p, p[Gtarget], 0) <= 0) { u[Insulin] = 0; return; }
        for (int it = 0; it < 100; it++)
        {
            double mid = 0.5 * (lo + hi), lo0 = lo, hi0 = hi;
            if (GlucoseBalance(p, p[Gtarget], mid) > 0) lo = mid; else hi = mid;
            if (lo == lo0 && hi == hi0) break; // converged to the last bit: see InitialState
        }
        u[Insulin] = p[Ke] * p[VI] * p[BW] * 0.5 * (lo + hi);
    }

    /// <summary>dQ1/dt at the steady state of Q2 and insulin action, as a function of G and I (decreasing in both).</summary>
    private static double GlucoseBalance(ReadOnlySpan<double> p, double g, double ins)
    {
        double bw = p[BW], vg = p[VG] * bw;
        double x1 = p[SIT] * ins, x2 = p[SID] * ins, x3 = p[SIE] * ins;
        double q1 = g * vg;
        double q2 = x1 * q1 / (p[K12] + x2);
        double f01 = p[F01] * bw;
        double f01c = g >= 4.5 ? f01 : f01 * g / 4.5;
        double fr = g >= 9 ? 0.003 * (g - 9) * vg : 0;
        return -f01c - x1 * q1 + p[K12] * q2 - fr + p[EGP0] * bw * Math.Max(0, 1 - x3);
    }

    /// <inheritdoc />
    public override void InitialState(ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> x)
    {
        double bw = p[BW], tmaxI = p[TmaxI];
        double ub = u[Insulin];
        double ins = ub / (p[Ke] * p[VI] * bw);
        // Steady-state glucose for this insulin level: bisection on G (the balance decreases with G).
        double lo = 0.01, hi = 60;
        for (int it = 0; it < 100; it++)
        {
            double mid = 0.5 * (lo + hi), lo0 = lo, hi0 = hi;
            if (GlucoseBalance(p, mid, ins) > 0) lo = mid; else hi = mid;
            // A halving is a pure function of (lo, hi): once one leaves both as they were (the ends are adjacent doubles,
            // ~60 halvings in), every later one would too, so stopping gives the bits 100 halvings give, for less work.
            if (lo == lo0 && hi == hi0) break;
        }
        double g = 0.5 * (lo + hi);
        double x1 = p[SIT] * ins, x2 = p[SID] * ins, x3 = p[SIE] * ins;
        double q1 = g * p[VG] * bw;
        x[0] = q1;
        x[1] = x1 * q1 / (p[K12] + x2);
        x[2] = ub * tmaxI;
        x[3] = ub * tmaxI;
        x[4] = ins;
        x[5] = x1; x[6] = x2; x[7] = x3;
        x[8] = 0; x[9] = 0;
    }

    /// <inheritdoc />
    public override void ApplyBolus(int input, double amount, ReadOnlySpan<double> p, Span<double> x)
    {
        switch (input)
        {
            case InsulinBolus: x[2] += amount * 1000; break;                                   // U → mU into S1
            case Meal: x[8] += p[AG] * amount * 1000 / GlucoseMolarMass; break;               // g CHO → mmol glucose
            default: throw new ArgumentOutOfRangeException(nameof(input), $"Input {input} is not a bolus input.");
        }
    }

    /// <inheritdoc />
    public override void Outputs(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> y)
    {
        double g = x[0] / (p[VG] * p[BW]);
        y[0] = g;
        y[1] = g * GlucoseMolarMass / 10;
        y[2] = x[4];
        y[3] = x[9] / p[TmaxG];
    }
}
