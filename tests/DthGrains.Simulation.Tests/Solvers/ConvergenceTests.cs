using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Tests.Solvers;

public class ConvergenceTests
{
    // Fixed steps: loose tolerance so no step is rejected, InitialStep = MaxStep = h.
    private static double FinalError(SolverKind kind, IOdeSystem sys, double t1, double h, double[] y0, Func<double, double[]> exact)
    {
        var o = new SolverOptions(kind, RelativeTolerance: 0.9, AbsoluteTolerance: 1e3, MaxStep: h, InitialStep: h);
        var y = Solve.To(Solve.Create(kind, sys.Dimension, o), sys, t1, y0);
        var e = exact(t1);
        return y.Select((v, i) => Math.Abs(v - e[i])).Max();
    }

    private static double ObservedOrder(SolverKind kind, IOdeSystem sys, double t1, double[] y0, Func<double, double[]> exact, double h)
    {
        double e1 = FinalError(kind, sys, t1, h, y0, exact);
        double e2 = FinalError(kind, sys, t1, h / 2, y0, exact);
        return Math.Log2(e1 / e2);
    }

    [Theory]
    [InlineData(SolverKind.DormandPrince45, 5.0)]
    [InlineData(SolverKind.Rodas4, 4.0)]
    public void Exponential_decay_converges_at_the_method_order(SolverKind kind, double order)
    {
        var p = ObservedOrder(kind, new ExponentialDecay(-1), 2, [1.0], t => [Math.Exp(-t)], 0.1);
        p.Should().BeApproximately(order, 0.35);
    }

    [Theory]
    [InlineData(SolverKind.DormandPrince45, 5.0)]
    [InlineData(SolverKind.Rodas4, 4.0)]
    public void Harmonic_oscillator_converges_at_the_method_order(SolverKind kind, double order)
    {
        var p = ObservedOrder(kind, new HarmonicOscillator(), 2 * Math.PI, [1.0, 0.0], t => [Math.Cos(t), -Math.Sin(t)], 2 * Math.PI / 40);
        p.Should().BeApproximately(order, 0.35);
    }

    [Theory]
    [InlineData(SolverKind.DormandPrince45)]
    [InlineData(SolverKind.Rodas4)]
    public void Global_error_tracks_the_tolerance(SolverKind kind)
    {
        double previous = double.MaxValue;
        foreach (var tol in new[] { 1e-3, 1e-5, 1e-7, 1e-9 })
        {
            var o = new SolverOptions(kind, tol, tol);
            var y = Solve.To(Solve.Create(kind, 2, o), new HarmonicOscillator(), 10, 1.0, 0.0);
            double err = Math.Max(Math.Abs(y[0] - Math.Cos(10)), Math.Abs(y[1] + Math.Sin(10)));
            err.Should().BeLessThan(200 * tol, $"tolerance {tol}");
            err.Should().BeLessThan(previous, "tightening the tolerance must reduce the error");
            previous = err;
        }
    }

    [Theory]
    [InlineData(SolverKind.DormandPrince45)]
    [InlineData(SolverKind.Rodas4)]
    public void Dense_output_is_accurate_between_steps(SolverKind kind)
    {
        var times = Enumerable.Range(0, 101).Select(i => i * 0.1).ToArray();
        var states = new double[times.Length * 2];
        var y = new[] { 1.0, 0.0 };
        int next = 0;
        var solver = Solve.Create(kind, 2, new SolverOptions(kind, 1e-8, 1e-10));
        solver.Integrate(new HarmonicOscillator(), 0, 10, y, times, states, ref next).Status.Should().Be(IntegrationStatus.Completed);
        next.Should().Be(times.Length);
        // Dense output must not force steps onto the output grid: fewer steps than a forced grid of 2 per output.
        solver.Statistics.AcceptedSteps.Should().BeLessThan(times.Length * (kind == SolverKind.Rodas4 ? 4 : 2));
        for (int k = 0; k < times.Length; k++)
            states[2 * k].Should().BeApproximately(Math.Cos(times[k]), 2e-6, $"t = {times[k]}");
    }
}
