using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Tests.Solvers;

public class EventTests
{
    [Theory]
    [InlineData(SolverKind.DormandPrince45, 1e-7)]
    [InlineData(SolverKind.Rodas4, 1e-7)]
    public void Zero_crossings_are_located_on_the_dense_output(SolverKind kind, double tolerance)
    {
        var solver = Solve.Create(kind, 2, new SolverOptions(kind, 1e-9, 1e-12));
        var y = new[] { 1.0, 0.0 };
        int next = 0;
        solver.Integrate(new HarmonicOscillator(), 0, 10, y, [], [], ref next, roots: new Threshold(0, 0));
        var events = solver.Events.ToArray();
        events.Select(e => e.Time).Should().Equal(
            [Math.PI / 2, 3 * Math.PI / 2, 5 * Math.PI / 2], (a, b) => Math.Abs(a - b) < tolerance);
        events.Select(e => e.Direction).Should().Equal(-1, 1, -1);
    }

    [Fact]
    public void A_terminal_event_stops_integration_at_the_crossing()
    {
        var solver = new DormandPrince45(1, new SolverOptions(SolverKind.DormandPrince45, 1e-10, 1e-12));
        var y = new[] { 1.0 };
        int next = 0;
        var r = solver.Integrate(new ExponentialDecay(-1), 0, 10, y, [], [], ref next, roots: new Threshold(0, 0.25, terminal: true));
        r.Status.Should().Be(IntegrationStatus.StoppedAtEvent);
        r.Time.Should().BeApproximately(Math.Log(4), 1e-8);
        y[0].Should().BeApproximately(0.25, 1e-8);
    }
}
