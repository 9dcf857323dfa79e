using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;
using static DthGrains.Simulation.Units.UnitRegistry;

namespace DthGrains.Simulation.Models;

/// <summary>
/// Bergman minimal model of glucose–insulin kinetics (Bergman, Ider, Bowden, Cobelli 1979, Am J Physiol 236:E667;
/// Bergman, Phillips, Cobelli 1981, J Clin Invest 68:1456), extended as in the control literature (Fisher 1991,
/// IEEE TBME 38:1) with an insulin compartment driven by exogenous insulin, and with a two-compartment gut
/// (as in Hovorka 2004) for meals:
/// <code>
/// dG/dt  = −(p1 + X)·G + p1·Gb + f·D2/(τm·VG·BW)      G  [mg/dL]
/// dX/dt  = −p2·X + p3·(I − Ib)                          X  [1/min]
/// dI/dt  = −n·I + u/VI                                  I  [µU/mL = mU/L], u [mU/min]
/// dD1/dt = −D1/τm,  dD2/dt = (D1 − D2)/τm               D  [mg]
/// </code>
/// Insulin sensitivity S_I = p3/p2, glucose effectiveness S_G = p1. Without endogenous secretion (a type 1 setting),
/// the default insulin input is the basal rate n·Ib·VI that holds I at Ib.
/// </summary>
public sealed class BergmanMinimalModel : ModelDefinition
{
    /// <summary>Model id.</summary>
    public const string Id = "bergman-minimal";

    // Parameter indices.
    internal const int P1 = 0, P2 = 1, P3 = 2, N = 3, VI = 4, Gb = 5, Ib = 6, VG = 7, BW = 8, F = 9, TauM = 10;
    // Input indices.
    internal const int Insulin = 0, InsulinBolus = 1, Meal = 2, GlucoseBolus = 3;

    private const string Fisher = "Fisher ME 1991, IEEE Trans Biomed Eng 38:1-4, minimal-model values for a normal subject after Bergman et al. 1981 (as tabulated in the control literature, e.g. Lynch & Bequette 2002)";

    private static readonly ModelInfo ModelInfo = new(
        Id, "1.0.0", "Bergman minimal model with insulin input and meal absorption",
        "Bergman RN et al. 1979 Am J Physiol 236:E667; Bergman RN, Phillips LS, Cobelli C 1981 J Clin Invest 68:1456",
        Minute,
        [
            new("G", MilligramPerDecilitre, "plasma glucose"),
            new("X", PerMinute, "remote insulin action"),
            new("I", MicroUnitsPerMillilitre, "plasma insulin"),
            new("D1", Milligram, "glucose in gut compartment 1"),
            new("D2", Milligram, "glucose in gut compartment 2"),
        ],
        [
            new("p1", PerMinute, "glucose effectiveness S_G (insulin-independent fractional glucose disappearance)", 0.028735, 0.005, 0.08, Fisher, LogNormalDistribution.FromMedianCv(0.028735, 0.3)),
            new("p2", PerMinute, "rate constant of remote insulin action decay", 0.028344, 0.005, 0.1, Fisher, LogNormalDistribution.FromMedianCv(0.028344, 0.3)),
            new("p3", Descriptive("1/min² per µU/mL"), "rate of insulin action gain; S_I = p3/p2", 5.035e-5, 1e-6, 3e-4, Fisher, LogNormalDistribution.FromMedianCv(5.035e-5, 0.5)),
            new("n", PerMinute, "fractional plasma insulin clearance", 5.0 / 54, 0.05, 0.3, Fisher, LogNormalDistribution.FromMedianCv(5.0 / 54, 0.2)),
            new("VI", Litre, "insulin distribution volume", 12, 6, 20, Fisher, LogNormalDistribution.FromMedianCv(12, 0.15)),
            new("Gb", MilligramPerDecilitre, "basal glucose (4.5 mmol/L)", 81, 60, 200, Fisher),
            new("Ib", MicroUnitsPerMillilitre, "basal insulin", 4.5, 1, 30, Fisher),
            new("VG", Descriptive("dL/kg"), "glucose distribution volume per kg (representative value; not from the 1979/1981 tables)", 1.7, 1.2, 2.2, "representative physiological value (≈ extracellular glucose space)", LogNormalDistribution.FromMedianCv(1.7, 0.1)),
            new("BW", Kilogram, "body weight", 70, 40, 150, "reference adult", new TruncatedDistribution(new NormalDistributionSpec(75, 12), 45, 130)),
            new("f", Dimensionless, "fraction of ingested glucose appearing in plasma", 0.9, 0.5, 1, "Dalla Man C et al. 2002 IEEE TBME 49:419 (oral minimal model, f = 0.9)"),
            new("tau_m", Minute, "gut absorption time constant (peak of appearance after a meal)", 40, 20, 90, "Hovorka R et al. 2004 Physiol Meas 25:905, Table 1 (t_max,G = 40 min)", LogNormalDistribution.FromMedianCv(40, 0.2)),
        ],
        [
            new("insulin", MilliUnitsPerMinute, InputKind.Rate, "intravenous insulin infusion (default: the basal rate n·Ib·VI)"),
            new("insulin_bolus", InsulinUnit, InputKind.Bolus, "intravenous insulin bolus"),
            new("meal", Gram, InputKind.Bolus, "ingested carbohydrate (as glucose)"),
            new("glucose_bolus", Gram, InputKind.Bolus, "intravenous glucose bolus (IVGTT)"),
        ],
        [
            new("G", MilligramPerDecilitre, "plasma glucose"),
            new("G_mmol", MillimolePerLitre, "plasma glucose"),
            new("I", MicroUnitsPerMillilitre, "plasma insulin"),
            new("Ra", MilligramPerMinute, "rate of appearance of meal glucose"),
        ]);

    /// <inheritdoc />
    public override ModelInfo Info => ModelInfo;

    /// <summary>
    /// The minimal model's reference experiment: the insulin-modified IVGTT (Bergman's FSIGT protocol), 0.3 g/kg glucose at
    /// t = 0 and 0.03 U/kg insulin at 20 min, 180 min, for a 70 kg subject.
    /// </summary>
    public override Scenario ReferenceScenario { get; } = Scenario.Create("reference", 180)
        .Describe("Insulin-modified IVGTT (Bergman FSIGT): 0.3 g/kg glucose at 0 min, 0.03 U/kg insulin at 20 min, 70 kg")
        .Bolus(0, "glucose_bolus", 21, "g")
        .Bolus(20, "insulin_bolus", 2.1, "U")
        .Build();

    /// <summary>One day with three meals and 5-minute prandial insulin pulses; the benchmark scenario.</summary>
    public static Scenario MixedMealDay { get; } = Scenario.Create("day", 1440)
        .Describe("Three meals (50, 70, 80 g) at 07:00, 12:00, 19:00 with 5-minute insulin infusions of 2, 3, 3.5 U")
        .Meal(420, 50).Infusion(420, "insulin", 0.4, "U/min", 5)
        .Meal(720, 70).Infusion(720, "insulin", 0.6, "U/min", 5)
        .Meal(1140, 80).Infusion(1140, "insulin", 0.7, "U/min", 5)
        .Build();

    /// <inheritdoc />
    public override IReadOnlyList<Scenario> NamedScenarios => [ReferenceScenario, MixedMealDay];

    /// <inheritdoc />
    public override bool HasJacobian => true;

    /// <inheritdoc />
    public override void Derivatives(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> dx) =>
        BergmanSystem.From(p, u).Evaluate(t, x, dx);

    /// <inheritdoc />
    public override void Jacobian(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> j) =>
        BergmanSystem.From(p, u).Jacobian(t, x, j);

    /// <inheritdoc />
    internal override ModelIntegrator CreateIntegrator(SolverOptions options) => new ModelIntegrator<BergmanSystem>(default, options);

    /// <inheritdoc />
    public override void DefaultInputs(ReadOnlySpan<double> p, Span<double> u)
    {
        base.DefaultInputs(p, u);
        u[Insulin] = p[N] * p[Ib] * p[VI];
    }

    /// <inheritdoc />
    public override void InitialState(ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> x)
    {
        // Steady state under the inputs at t = 0: I from the insulin rate, X from I, G from the glucose balance.
        double i = u[Insulin] / (p[N] * p[VI]);
        double xi = p[P3] * (i - p[Ib]) / p[P2];
        x[0] = p[P1] * p[Gb] / (p[P1] + xi);
        x[1] = xi;
        x[2] = i;
        x[3] = 0;
        x[4] = 0;
    }

    /// <inheritdoc />
    public override void ApplyBolus(int input, double amount, ReadOnlySpan<double> p, Span<double> x)
    {
        switch (input)
        {
            case InsulinBolus: x[2] += amount * 1000 / p[VI]; break;             // U → mU, over VI litres
            case Meal: x[3] += amount * 1000; break;                               // g → mg
            case GlucoseBolus: x[0] += amount * 1000 / (p[VG] * p[BW]); break;     // g → mg over dL
            default: throw new ArgumentOutOfRangeException(nameof(input), $"Input {input} is not a bolus input.");
        }
    }

    /// <inheritdoc />
    public override void Outputs(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> y)
    {
        y[0] = x[0];
        y[1] = x[0] * 10 / GlucoseMolarMass;
        y[2] = x[2];
        y[3] = p[F] * x[4] / p[TauM];
    }
}

/// <summary>
/// The Bergman equations with parameters and inputs bound: the one place they are written (the model's
/// <see cref="BergmanMinimalModel.Derivatives"/> and <see cref="BergmanMinimalModel.Jacobian"/> call it too). The
/// parameter combinations are folded once per segment, so an evaluation is a dozen flops without bounds checks or
/// divisions, inlined into the solver's stage loops (this model is the cohort benchmark's hot path).
/// </summary>
internal struct BergmanSystem : IModelSystem
{
    private double _p1, _p1Gb, _gut, _p2, _p3, _p3Ib, _n, _infusion, _invTau;

    public static BergmanSystem From(ReadOnlySpan<double> p, ReadOnlySpan<double> u)
    {
        double tau = p[BergmanMinimalModel.TauM];
        return new BergmanSystem
        {
            _p1 = p[BergmanMinimalModel.P1],
            _p1Gb = p[BergmanMinimalModel.P1] * p[BergmanMinimalModel.Gb],
            _gut = p[BergmanMinimalModel.F] / (tau * p[BergmanMinimalModel.VG] * p[BergmanMinimalModel.BW]),
            _p2 = p[BergmanMinimalModel.P2],
            _p3 = p[BergmanMinimalModel.P3],
            _p3Ib = p[BergmanMinimalModel.P3] * p[BergmanMinimalModel.Ib],
            _n = p[BergmanMinimalModel.N],
            _infusion = u[BergmanMinimalModel.Insulin] / p[BergmanMinimalModel.VI],
            _invTau = 1 / tau,
        };
    }

    public void Bind(double[] p, double[] u) => this = From(p, u);

    public readonly int Dimension => 5;
    public readonly bool HasJacobian => true;
    public readonly bool IsAutonomous => true;

    public readonly void Evaluate(double t, ReadOnlySpan<double> x, Span<double> dx)
    {
        // One bounds check each (highest index first) instead of five.
        double d2 = x[4], d1 = x[3], i = x[2], xi = x[1], g = x[0];
        dx[4] = (d1 - d2) * _invTau;
        dx[3] = -d1 * _invTau;
        dx[2] = -_n * i + _infusion;
        dx[1] = -_p2 * xi + (_p3 * i - _p3Ib);
        dx[0] = -(_p1 + xi) * g + _p1Gb + _gut * d2;
    }

    public readonly void Jacobian(double t, ReadOnlySpan<double> x, Span<double> j)
    {
        j[..25].Clear();
        j[0] = -(_p1 + x[1]); j[1] = -x[0]; j[4] = _gut;
        j[5 + 1] = -_p2; j[5 + 2] = _p3;
        j[10 + 2] = -_n;
        j[15 + 3] = -_invTau;
        j[20 + 3] = _invTau; j[20 + 4] = -_invTau;
    }
}
