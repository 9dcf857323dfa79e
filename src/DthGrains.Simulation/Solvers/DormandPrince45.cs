namespace DthGrains.Simulation.Solvers;

/// <summary>
/// Dormand–Prince 5(4) (Dormand &amp; Prince 1980): explicit, adaptive, first-same-as-last, with the 4th-order continuous
/// extension used by Hairer's DOPRI5 and SciPy's RK45, and Hairer's stiffness detection (h·|λ| &gt; 3.25 on 15 steps).
/// </summary>
public class DormandPrince45<TSystem> : OdeSolver<TSystem> where TSystem : IOdeSystem
{
    private const double C2 = 1.0 / 5, C3 = 3.0 / 10, C4 = 4.0 / 5, C5 = 8.0 / 9;
    private const double A21 = 1.0 / 5;
    private const double A31 = 3.0 / 40, A32 = 9.0 / 40;
    private const double A41 = 44.0 / 45, A42 = -56.0 / 15, A43 = 32.0 / 9;
    private const double A51 = 19372.0 / 6561, A52 = -25360.0 / 2187, A53 = 64448.0 / 6561, A54 = -212.0 / 729;
    private const double A61 = 9017.0 / 3168, A62 = -355.0 / 33, A63 = 46732.0 / 5247, A64 = 49.0 / 176, A65 = -5103.0 / 18656;
    private const double B1 = 35.0 / 384, B3 = 500.0 / 1113, B4 = 125.0 / 192, B5 = -2187.0 / 6784, B6 = 11.0 / 84;
    // b - b̂ (5th minus 4th order weights).
    private const double E1 = 71.0 / 57600, E3 = -71.0 / 16695, E4 = 71.0 / 1920, E5 = -17253.0 / 339200, E6 = 22.0 / 525, E7 = -1.0 / 40;

    // Dense output: b_i(θ) = Σ_j P[i, j] θ^(j+1) (Shampine 1986 / Hairer's dense output, as tabulated in SciPy's RK45).
    private static readonly double[] P =
    [
        1, -8048581381.0 / 2820520608, 8663915743.0 / 2820520608, -12715105075.0 / 11282082432,
        0, 0, 0, 0,
        0, 131558114200.0 / 32700410799, -68118460800.0 / 10900136933, 87487479700.0 / 32700410799,
        0, -1754552775.0 / 470086768, 14199869525.0 / 1410260304, -10690763975.0 / 1880347072,
        0, 127303824393.0 / 49829197408, -318862633887.0 / 49829197408, 701980252875.0 / 199316789632,
        0, -282668133.0 / 205662961, 2019193451.0 / 616988883, -1453857185.0 / 822651844,
        0, 40617522.0 / 29380423, -110615467.0 / 29380423, 69997945.0 / 29380423,
    ];

    private readonly double[] _k1, _k2, _k3, _k4, _k5, _k6, _k7, _ys;
    private double _h;
    private int _stiffCount, _nonStiffCount;
    private bool _stiff;

    /// <summary>Creates a reusable workspace for systems of <paramref name="dimension"/> states.</summary>
    public DormandPrince45(int dimension, SolverOptions? options = null) : base(dimension, options ?? new SolverOptions(SolverKind.DormandPrince45))
    {
        _k1 = new double[dimension]; _k2 = new double[dimension]; _k3 = new double[dimension]; _k4 = new double[dimension];
        _k5 = new double[dimension]; _k6 = new double[dimension]; _k7 = new double[dimension];
        _ys = new double[dimension];
    }

    /// <inheritdoc />
    protected override int ErrorOrder => 4;

    /// <inheritdoc />
    protected override bool StiffnessDetected => _stiff;

    /// <inheritdoc />
    protected override void ResetStiffnessDetection() { _stiffCount = 0; _nonStiffCount = 0; _stiff = false; }

    /// <inheritdoc />
    protected override void BeginSegment(ref TSystem system, double t0, Span<double> f0)
    {
        system.Evaluate(t0, Y, _k1);
        Statistics.RhsEvaluations++;
        _k1.AsSpan().CopyTo(f0);
    }

    /// <inheritdoc />
    protected override double TryStep(ref TSystem system, double t, double h)
    {
        // Spans sliced to one length let the JIT drop most bounds checks in these short loops: per-step overhead
        // matters because physiological systems are small and their right-hand sides cheap.
        int n = system.Dimension; // a JIT-time constant for a struct system (Integrate checked that it equals Dimension)
        ReadOnlySpan<double> y = Y.AsSpan(0, n), k1 = _k1.AsSpan(0, n);
        Span<double> ys = _ys.AsSpan(0, n), yn = YNew.AsSpan(0, n);
        Span<double> k2 = _k2.AsSpan(0, n), k3 = _k3.AsSpan(0, n), k4 = _k4.AsSpan(0, n), k5 = _k5.AsSpan(0, n), k6 = _k6.AsSpan(0, n), k7 = _k7.AsSpan(0, n);
        for (int i = 0; i < ys.Length; i++) ys[i] = y[i] + h * A21 * k1[i];
        system.Evaluate(t + C2 * h, ys, k2);
        for (int i = 0; i < ys.Length; i++) ys[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i]);
        system.Evaluate(t + C3 * h, ys, k3);
        for (int i = 0; i < ys.Length; i++) ys[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
        system.Evaluate(t + C4 * h, ys, k4);
        for (int i = 0; i < ys.Length; i++) ys[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
        system.Evaluate(t + C5 * h, ys, k5);
        for (int i = 0; i < ys.Length; i++) ys[i] = y[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
        system.Evaluate(t + h, ys, k6);
        for (int i = 0; i < yn.Length; i++) yn[i] = y[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i]);
        system.Evaluate(t + h, yn, k7);
        Statistics.RhsEvaluations += 6;
        _h = h;

        double rtol = Options.RelativeTolerance, atol = Options.AbsoluteTolerance, sum = 0;
        for (int i = 0; i < yn.Length; i++)
        {
            double e = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
            double sc = atol + rtol * Math.Max(Math.Abs(y[i]), Math.Abs(yn[i]));
            double r = e / sc;
            sum += r * r;
        }
        // NaN or infinity anywhere in the new state shows up in the sum and makes the driver shrink the step.
        return double.IsFinite(sum) ? Math.Sqrt(sum / n) : double.NaN;
    }

    /// <inheritdoc />
    protected override void PrepareDenseOutput(ref TSystem system, double t, double h)
    {
        // Hairer's stiffness test: h·|λ| ≈ h·‖k7 − k6‖ / ‖y_new − y_stage6‖; the stability boundary of DOPRI5 is ≈ 3.3.
        if (!DetectStiffness) return;
        int n = Dimension;
        double num = 0, den = 0;
        for (int i = 0; i < n; i++)
        {
            double a = _k7[i] - _k6[i], b = YNew[i] - _ys[i];
            num += a * a; den += b * b;
        }
        if (den > 0)
        {
            double hLambda = h * Math.Sqrt(num / den);
            if (hLambda > 3.25) { _nonStiffCount = 0; if (++_stiffCount >= 15) _stiff = true; }
            else if (++_nonStiffCount >= 6) _stiffCount = 0;
        }
    }

    /// <inheritdoc />
    protected override void Interpolate(double theta, Span<double> destination)
    {
        double t2 = theta * theta, t3 = t2 * theta, t4 = t3 * theta;
        double b1 = P[0] * theta + P[1] * t2 + P[2] * t3 + P[3] * t4;
        double b3 = P[9] * t2 + P[10] * t3 + P[11] * t4;
        double b4 = P[13] * t2 + P[14] * t3 + P[15] * t4;
        double b5 = P[17] * t2 + P[18] * t3 + P[19] * t4;
        double b6 = P[21] * t2 + P[22] * t3 + P[23] * t4;
        double b7 = P[25] * t2 + P[26] * t3 + P[27] * t4;
        double h = _h;
        int n = Dimension;
        ReadOnlySpan<double> y = Y.AsSpan(0, n), k1 = _k1.AsSpan(0, n), k3 = _k3.AsSpan(0, n), k4 = _k4.AsSpan(0, n), k5 = _k5.AsSpan(0, n), k6 = _k6.AsSpan(0, n), k7 = _k7.AsSpan(0, n);
        var d = destination[..n];
        for (int i = 0; i < d.Length; i++)
            d[i] = y[i] + h * (b1 * k1[i] + b3 * k3[i] + b4 * k4[i] + b5 * k5[i] + b6 * k6[i] + b7 * k7[i]);
    }

    /// <inheritdoc />
    protected override void CommitStep()
    {
        YNew.AsSpan().CopyTo(Y);
        _k7.AsSpan().CopyTo(_k1); // first same as last
    }
}

/// <summary>Dormand–Prince 5(4) for any <see cref="IOdeSystem"/> (interface calls; see <see cref="DormandPrince45{TSystem}"/>).</summary>
public sealed class DormandPrince45(int dimension, SolverOptions? options = null) : DormandPrince45<IOdeSystem>(dimension, options);
