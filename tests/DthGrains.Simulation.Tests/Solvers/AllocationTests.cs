using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Tests.Solvers;

public class AllocationTests
{
    [Theory]
    [InlineData(SolverKind.DormandPrince45)]
    [InlineData(SolverKind.Rodas4)]
    [InlineData(SolverKind.Auto)]
    public void A_solve_allocates_nothing_after_warm_up(SolverKind kind)
    {
        var integrator = new OdeIntegrator(2, new SolverOptions(kind, 1e-8, 1e-10));
        var sys = new HarmonicOscillator();
        var times = Enumerable.Range(0, 50).Select(i => i * 0.2).ToArray();
        var states = new double[times.Length * 2];
        var y = new double[2];
        var roots = new Threshold(0, 0);

        void Run()
        {
            integrator.BeginSolve();
            y[0] = 1; y[1] = 0;
            int next = 0;
            integrator.Integrate(sys, 0, 5, y, times, states, ref next, includeEnd: false, roots);
            integrator.Integrate(sys, 5, 10, y, times, states, ref next, includeEnd: true, roots);
        }

        Run();
        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) Run();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        allocated.Should().Be(0);
        integrator.Statistics.AcceptedSteps.Should().BeGreaterThan(0);
    }
}
