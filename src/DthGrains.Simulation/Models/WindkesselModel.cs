using DthGrains.Simulation.Scenarios;
using static DthGrains.Simulation.Units.UnitRegistry;

namespace DthGrains.Simulation.Models;

/// <summary>
/// Three-element Windkessel (Westerhof; review: Westerhof N, Lankhaar JW, Westerhof BE 2009, Med Biol Eng Comput
/// 47:131–141): characteristic impedance Zc in series with peripheral resistance R parallel to compliance C,
/// driven by a half-sine ventricular ejection of stroke volume SV over systole Ts each beat:
/// <code>
/// C·dPc/dt = Q(t) − Pc/R,   P_ao = Pc + Zc·Q(t),   Q(t) = Qmax·sin(π·φ/Ts) for phase φ &lt; Ts, else 0
/// </code>
/// with Qmax = π·SV/(2·Ts) so each beat ejects exactly SV. Time in seconds.
/// </summary>
public sealed class WindkesselModel : ModelDefinition
{
    /// <summary>Model id.</summary>
    public const string Id = "windkessel-3";

    internal const int R = 0, C = 1, Zc = 2, SV = 3, Ts = 4;
    private const string Review = "Westerhof N, Lankhaar JW, Westerhof BE 2009 Med Biol Eng Comput 47:131 (typical human values)";

    private static readonly ModelInfo ModelInfo = new(
        Id, "1.0.0", "Three-element Windkessel model of the systemic arterial tree",
        "Westerhof N et al. 1971 J Biomech 4:29; review Westerhof N et al. 2009 Med Biol Eng Comput 47:131",
        Second,
        [new("Pc", MillimetreMercury, "pressure across the compliance")],
        [
            new("R", Descriptive("mmHg·s/mL"), "peripheral resistance", 1.0, 0.5, 2.0, Review, Cohorts.LogNormalDistribution.FromMedianCv(1.0, 0.15)),
            new("C", Descriptive("mL/mmHg"), "total arterial compliance", 1.5, 0.5, 3.0, Review, Cohorts.LogNormalDistribution.FromMedianCv(1.5, 0.25)),
            new("Zc", Descriptive("mmHg·s/mL"), "characteristic impedance of the proximal aorta", 0.05, 0.02, 0.12, Review, Cohorts.LogNormalDistribution.FromMedianCv(0.05, 0.2)),
            new("SV", Millilitre, "stroke volume", 70, 40, 120, "reference adult at rest", Cohorts.LogNormalDistribution.FromMedianCv(70, 0.15)),
            new("Ts", Second, "ejection (systole) duration", 0.3, 0.2, 0.4, "reference adult at rest"),
        ],
        [new("heart_rate", BeatsPerMinute, InputKind.Rate, "heart rate", 72)],
        [
            new("P_ao", MillimetreMercury, "aortic pressure"),
            new("Q", MillilitrePerSecond, "ventricular outflow"),
            new("Pc", MillimetreMercury, "pressure across the compliance"),
        ]);

    /// <inheritdoc />
    public override ModelInfo Info => ModelInfo;

    /// <inheritdoc />
    public override bool IsAutonomous => false;

    /// <summary>20 s at 72 bpm, then exercise-like 100 bpm for 20 s.</summary>
    public override Scenario ReferenceScenario { get; } = Scenario.Create("reference", 40, "s")
        .Describe("20 s at 72 bpm, then 20 s at 100 bpm")
        .Rate(0, "heart_rate", 72, "bpm")
        .Rate(20, "heart_rate", 100, "bpm")
        .Build();

    /// <summary>Cardiac inflow at time t (mL/s) for a heart rate in bpm; beats start at multiples of the period.</summary>
    public static double Inflow(double t, double heartRate, double strokeVolume, double systole)
    {
        double period = 60.0 / heartRate;
        double phase = t - Math.Floor(t / period) * period;
        double ts = Math.Min(systole, 0.9 * period);
        return phase < ts ? Math.PI * strokeVolume / (2 * ts) * Math.Sin(Math.PI * phase / ts) : 0;
    }

    /// <inheritdoc />
    public override void Derivatives(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> dx)
    {
        double q = Inflow(t, u[0], p[SV], p[Ts]);
        dx[0] = (q - x[0] / p[R]) / p[C];
    }

    /// <inheritdoc />
    public override void InitialState(ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> x) =>
        x[0] = p[R] * p[SV] * u[0] / 60; // the cycle mean of Pc at periodic steady state

    /// <inheritdoc />
    public override void ApplyBolus(int input, double amount, ReadOnlySpan<double> p, Span<double> x) =>
        throw new ArgumentOutOfRangeException(nameof(input), "The Windkessel model has no bolus inputs.");

    /// <inheritdoc />
    public override void Outputs(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> y)
    {
        double q = Inflow(t, u[0], p[SV], p[Ts]);
        y[0] = x[0] + p[Zc] * q;
        y[1] = q;
        y[2] = x[0];
    }
}
