using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Tests.Solvers;

public class StiffTests
{
    // Reference values: Robertson at t = 40 as tabulated by Hairer & Wanner (II, §IV.10) and reproduced with
    // SciPy Radau at rtol 1e-12: (0.715827068719, 9.18553476456e-6, 0.284163745746).
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Rodas4_solves_Robertson(bool analyticJacobian)
    {
        var solver = new Rodas4(3, new SolverOptions(SolverKind.Rodas4, 1e-8, 1e-14));
        var y = Solve.To(solver, new Robertson(analyticJacobian), 40, 1, 0, 0);
        y[0].Should().BeApproximately(0.715827068719405, 1e-6);
        y[1].Should().BeApproximately(9.185534764557783e-06, 1e-10);
        y[2].Should().BeApproximately(0.2841637457458297, 1e-6);
        solver.Statistics.AcceptedSteps.Should().BeLessThan(1000);
    }

    [Fact]
    public void Robertson_over_a_long_horizon_conserves_mass()
    {
        // SciPy Radau rtol 1e-12 reference at t = 1e5: y1 = 0.0178659211421, y3 = 0.982134006110.
        var solver = new Rodas4(3, new SolverOptions(SolverKind.Rodas4, 1e-8, 1e-14));
        var y = Solve.To(solver, new Robertson(true), 1e5, 1, 0, 0);
        y[0].Should().BeApproximately(0.017865921142100175, 1e-6);
        y[2].Should().BeApproximately(0.9821340061103854, 1e-6);
        (y[0] + y[1] + y[2]).Should().BeApproximately(1, 1e-9);
    }

    // Van der Pol, μ = 1000, y(0) = (2, 0), t = 3000. Reference from SciPy Radau and LSODA at rtol 1e-12,
    // which agree to 1e-9: y1 = −1.51060693676, y2 = 1.17838000e-3.
    [Fact]
    public void Rodas4_solves_Van_der_Pol_mu_1000()
    {
        var solver = new Rodas4(2, new SolverOptions(SolverKind.Rodas4, 1e-9, 1e-9));
        var y = Solve.To(solver, new VanDerPol(1000), 3000, 2, 0);
        y[0].Should().BeApproximately(-1.5106069367598114, 1e-4);
        y[1].Should().BeApproximately(0.0011783800006994517, 1e-6);
    }

    [Fact]
    public void Auto_detects_stiffness_and_switches_to_Rodas4()
    {
        var integrator = new OdeIntegrator(2, new SolverOptions(SolverKind.Auto, 1e-8, 1e-8));
        integrator.BeginSolve();
        var y = new[] { 2.0, 0.0 };
        int next = 0;
        integrator.Integrate(new VanDerPol(1000), 0, 3000, y, [], [], ref next).Status.Should().Be(IntegrationStatus.Completed);
        integrator.SwitchedToStiff.Should().BeTrue();
        y[0].Should().BeApproximately(-1.5106069367598114, 1e-4);
    }

    [Fact]
    public void Auto_stays_explicit_on_a_non_stiff_problem()
    {
        var integrator = new OdeIntegrator(2, new SolverOptions(SolverKind.Auto, 1e-8, 1e-8));
        integrator.BeginSolve();
        var y = new[] { 1.0, 0.0 };
        int next = 0;
        integrator.Integrate(new HarmonicOscillator(), 0, 50, y, [], [], ref next);
        integrator.SwitchedToStiff.Should().BeFalse();
        y[0].Should().BeApproximately(Math.Cos(50), 1e-6);
    }
}
