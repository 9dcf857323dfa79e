using DthGrains.Simulation.Numerics;

namespace DthGrains.Simulation.Solvers;

/// <summary>
/// Rodas4 (Hairer &amp; Wanner, Solving ODEs II, §IV.7; coefficients of RODAS, METH=1): a 6-stage, order 4(3),
/// L-stable, stiffly accurate Rosenbrock method with a 3rd-order dense output. Needs one Jacobian and one LU per step:
/// the analytic Jacobian when the system has one, forward differences otherwise. For the small systems of
/// physiological models a dense LU is the right tool.
/// </summary>
public class Rodas4<TSystem> : OdeSolver<TSystem> where TSystem : IOdeSystem
{
    private const double Gamma = 0.25;
    private const double C2 = 0.386, C3 = 0.21, C4 = 0.63;
    private const double D1 = 0.25, D2 = -0.1043, D3 = 0.1035, D4 = -0.3620000000000023e-01;
    private const double A21 = 0.1544000000000000e+01;
    private const double A31 = 0.9466785280815826e+00, A32 = 0.2557011698983284e+00;
    private const double A41 = 0.3314825187068521e+01, A42 = 0.2896124015972201e+01, A43 = 0.9986419139977817e+00;
    private const double A51 = 0.1221224509226641e+01, A52 = 0.6019134481288629e+01, A53 = 0.1253708332932087e+02, A54 = -0.6878860361058950e+00;
    private const double C21 = -0.5668800000000000e+01;
    private const double C31 = -0.2430093356833875e+01, C32 = -0.2063599157091915e+00;
    private const double C41 = -0.1073529058151375e+00, C42 = -0.9594562251023355e+01, C43 = -0.2047028614809616e+02;
    private const double C51 = 0.7496443313967647e+01, C52 = -0.1024680431464352e+02, C53 = -0.3399990352819905e+02, C54 = 0.1170890893206160e+02;
    private const double C61 = 0.8083246795921522e+01, C62 = -0.7981132988064893e+01, C63 = -0.3152159432874371e+02, C64 = 0.1631930543123136e+02, C65 = -0.6058818238834054e+01;
    private const double D21 = 0.1012623508344586e+02, D22 = -0.7487995877610167e+01, D23 = -0.3480091861555747e+02, D24 = -0.7992771707568823e+01, D25 = 0.1025137723295662e+01;
    private const double D31 = -0.6762803392801253e+00, D32 = 0.6087714651680015e+01, D33 = 0.1643084320892478e+02, D34 = 0.2476722511418386e+02, D35 = -0.6594389125716872e+01;

    private readonly double[] _jac, _lu, _f0, _fx, _dy, _ys, _k1, _k2, _k3, _k4, _k5, _k6, _cont2, _cont3;
    private readonly int[] _pivots;

    /// <summary>Creates a reusable workspace for systems of <paramref name="dimension"/> states.</summary>
    public Rodas4(int dimension, SolverOptions? options = null) : base(dimension, options ?? new SolverOptions(SolverKind.Rodas4))
    {
        int n = dimension;
        _jac = new double[n * n]; _lu = new double[n * n]; _pivots = new int[n];
        _f0 = new double[n]; _fx = new double[n]; _dy = new double[n]; _ys = new double[n];
        _k1 = new double[n]; _k2 = new double[n]; _k3 = new double[n]; _k4 = new double[n]; _k5 = new double[n]; _k6 = new double[n];
        _cont2 = new double[n]; _cont3 = new double[n];
    }

    /// <inheritdoc />
    protected override int ErrorOrder => 3;

    /// <inheritdoc />
    protected override void BeginSegment(ref TSystem system, double t0, Span<double> f0)
    {
        system.Evaluate(t0, Y, f0);
        Statistics.RhsEvaluations++;
    }

    /// <inheritdoc />
    protected override double TryStep(ref TSystem system, double t, double h)
    {
        int n = Dimension;
        double[] y = Y, yn = YNew, ys = _ys, dy = _dy, fx = _fx, k1 = _k1, k2 = _k2, k3 = _k3, k4 = _k4, k5 = _k5, k6 = _k6;

        // f, J and ∂f/∂t at (t, y): recomputed per attempt because a rejected step leaves them valid but we keep the
        // code simple and the systems small; the counters show the cost honestly.
        system.Evaluate(t, y, _f0);
        Statistics.RhsEvaluations++;
        ComputeJacobian(ref system, t);
        bool autonomous = system.IsAutonomous;
        if (!autonomous)
        {
            double delta = Math.Sqrt(2.220446049250313e-16 * Math.Max(1e-5, Math.Abs(t)));
            system.Evaluate(t + delta, y, dy);
            Statistics.RhsEvaluations++;
            for (int i = 0; i < n; i++) fx[i] = (dy[i] - _f0[i]) / delta;
        }

        double fac = 1.0 / (h * Gamma);
        for (int i = 0; i < n * n; i++) _lu[i] = -_jac[i];
        for (int i = 0; i < n; i++) _lu[i * n + i] += fac;
        Statistics.Factorizations++;
        if (!DenseLu.Factor(_lu, n, _pivots)) return double.NaN;

        double hd1 = autonomous ? 0 : h * D1, hd2 = autonomous ? 0 : h * D2, hd3 = autonomous ? 0 : h * D3, hd4 = autonomous ? 0 : h * D4;
        double hc21 = C21 / h, hc31 = C31 / h, hc32 = C32 / h, hc41 = C41 / h, hc42 = C42 / h, hc43 = C43 / h;
        double hc51 = C51 / h, hc52 = C52 / h, hc53 = C53 / h, hc54 = C54 / h;
        double hc61 = C61 / h, hc62 = C62 / h, hc63 = C63 / h, hc64 = C64 / h, hc65 = C65 / h;

        for (int i = 0; i < n; i++) k1[i] = _f0[i] + hd1 * fx[i];
        DenseLu.Solve(_lu, n, _pivots, k1);

        for (int i = 0; i < n; i++) ys[i] = y[i] + A21 * k1[i];
        system.Evaluate(t + C2 * h, ys, dy);
        for (int i = 0; i < n; i++) k2[i] = dy[i] + hd2 * fx[i] + hc21 * k1[i];
        DenseLu.Solve(_lu, n, _pivots, k2);

        for (int i = 0; i < n; i++) ys[i] = y[i] + A31 * k1[i] + A32 * k2[i];
        system.Evaluate(t + C3 * h, ys, dy);
        for (int i = 0; i < n; i++) k3[i] = dy[i] + hd3 * fx[i] + hc31 * k1[i] + hc32 * k2[i];
        DenseLu.Solve(_lu, n, _pivots, k3);

        for (int i = 0; i < n; i++) ys[i] = y[i] + A41 * k1[i] + A42 * k2[i] + A43 * k3[i];
        system.Evaluate(t + C4 * h, ys, dy);
        for (int i = 0; i < n; i++) k4[i] = dy[i] + hd4 * fx[i] + hc41 * k1[i] + hc42 * k2[i] + hc43 * k3[i];
        DenseLu.Solve(_lu, n, _pivots, k4);

        for (int i = 0; i < n; i++) ys[i] = y[i] + A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i];
        system.Evaluate(t + h, ys, dy);
        for (int i = 0; i < n; i++) k5[i] = dy[i] + hc51 * k1[i] + hc52 * k2[i] + hc53 * k3[i] + hc54 * k4[i];
        DenseLu.Solve(_lu, n, _pivots, k5);

        // Embedded solution (order 3), then the last stage gives the order-4 solution and the error estimate.
        for (int i = 0; i < n; i++) yn[i] = ys[i] + k5[i];
        system.Evaluate(t + h, yn, dy);
        for (int i = 0; i < n; i++) k6[i] = dy[i] + hc61 * k1[i] + hc62 * k2[i] + hc63 * k3[i] + hc64 * k4[i] + hc65 * k5[i];
        DenseLu.Solve(_lu, n, _pivots, k6);
        for (int i = 0; i < n; i++) yn[i] += k6[i];
        Statistics.RhsEvaluations += 5;

        for (int i = 0; i < n; i++)
            if (!double.IsFinite(yn[i])) return double.NaN;
        return ErrorNorm(k6, y, yn);
    }

    private void ComputeJacobian(ref TSystem system, double t)
    {
        int n = Dimension;
        Statistics.JacobianEvaluations++;
        if (system.HasJacobian)
        {
            system.Jacobian(t, Y, _jac);
            return;
        }
        // Forward differences, one column per state; the increment follows Hairer's RODAS.
        for (int j = 0; j < n; j++)
        {
            double yj = Y[j];
            double delta = Math.Sqrt(1e-16 * Math.Max(1e-5, Math.Abs(yj)));
            Y[j] = yj + delta;
            system.Evaluate(t, Y, _dy);
            Y[j] = yj;
            for (int i = 0; i < n; i++) _jac[i * n + j] = (_dy[i] - _f0[i]) / delta;
        }
        Statistics.RhsEvaluations += n;
    }

    /// <inheritdoc />
    protected override void PrepareDenseOutput(ref TSystem system, double t, double h)
    {
        for (int i = 0; i < Dimension; i++)
        {
            _cont2[i] = D21 * _k1[i] + D22 * _k2[i] + D23 * _k3[i] + D24 * _k4[i] + D25 * _k5[i];
            _cont3[i] = D31 * _k1[i] + D32 * _k2[i] + D33 * _k3[i] + D34 * _k4[i] + D35 * _k5[i];
        }
    }

    // Hairer's CONTRO for RODAS: y(θ) = (1−θ)·y0 + θ·(y1 + (1−θ)·(d2 + θ·d3)).
    /// <inheritdoc />
    protected override void Interpolate(double theta, Span<double> destination)
    {
        for (int i = 0; i < Dimension; i++)
            destination[i] = (1 - theta) * Y[i] + theta * (YNew[i] + (1 - theta) * (_cont2[i] + theta * _cont3[i]));
    }
}

/// <summary>Rodas4 for any <see cref="IOdeSystem"/> (interface calls; see <see cref="Rodas4{TSystem}"/>).</summary>
public sealed class Rodas4(int dimension, SolverOptions? options = null) : Rodas4<IOdeSystem>(dimension, options);
