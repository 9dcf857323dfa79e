using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Reproducibility;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Tests.Reproducibility;

public class ReproducibilityTests
{
    private static SimulationRequest Request(double meal = 50) => new(
        HovorkaModel.Id, "1.0.0",
        Scenario.Create("r", 480).Meal(60, meal).Bolus(60, "insulin_bolus", 3, "U").Build(),
        new SolverOptions(), new OutputGrid(0, 480, 5),
        new Dictionary<string, double> { ["SIT"] = 0.004, ["BW"] = 80 }, Seed: 7);

    [Fact]
    public void Same_request_same_hash_and_bit_identical_results()
    {
        var a = SimulationEngine.Run(Request());
        var b = SimulationEngine.Run(Request());
        a.RequestHash.Should().Be(b.RequestHash).And.MatchRegex("^[0-9a-f]{64}$");
        a.Values.Select(BitConverter.DoubleToInt64Bits).Should().Equal(b.Values.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void Any_change_changes_the_hash_but_dictionary_order_does_not()
    {
        RequestHasher.Hash(Request(50)).Should().NotBe(RequestHasher.Hash(Request(51)));
        RequestHasher.Hash(Request() with { Seed = 8 }).Should().NotBe(RequestHasher.Hash(Request()));
        RequestHasher.Hash(Request() with { Solver = new SolverOptions(RelativeTolerance: 1e-7) }).Should().NotBe(RequestHasher.Hash(Request()));
        var reordered = Request() with { Parameters = new Dictionary<string, double> { ["BW"] = 80, ["SIT"] = 0.004 } };
        RequestHasher.Hash(reordered).Should().Be(RequestHasher.Hash(Request()));
    }

    [Fact]
    public void Canonical_form_is_the_documented_one()
    {
        var text = RequestHasher.CanonicalText(Request());
        text.Should().StartWith("{\"schema\":\"dth.simulation.request/1\",\"model\":{\"id\":\"hovorka-2004\",\"version\":\"1.0.0\"},\"parameters\":{\"BW\":80,\"SIT\":0.004}");
        text.Should().Contain("\"maxStep\":\"Infinity\"");
    }

    [Fact]
    public void A_request_for_another_model_version_is_refused()
    {
        var act = () => SimulationEngine.Run(Request() with { ModelVersion = "2.0.0" });
        act.Should().Throw<ArgumentException>().WithMessage("*version 2.0.0 was requested*");
    }

    [Fact]
    public void A_workspace_solve_allocates_nothing_after_warm_up()
    {
        foreach (var model in ModelLibrary.Engine)
        {
            var scenario = CompiledScenario.Compile(model.Info, model.ReferenceScenario);
            var times = Enumerable.Range(0, 100).Select(i => i * scenario.Duration / 99).ToArray();
            var ws = new SimulationWorkspace(model, new SolverOptions(), times);
            var p = model.DefaultParameters();
            var y = new double[times.Length * ws.OutputCount];
            // Warm-up long enough for tiered JIT to settle (its call-counting can allocate on this thread once).
            for (int i = 0; i < 40; i++) ws.Solve(scenario, p, y);
            var failures = 0;
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++) if (ws.Solve(scenario, p, y) != IntegrationStatus.Completed) failures++;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            allocated.Should().Be(0, model.Info.Id);
            failures.Should().Be(0);
        }
    }
}
