using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;

namespace DthGrains.Simulation.Tests.Models;

public class WindkesselTests
{
    private static readonly WindkesselModel Model = new();

    [Fact]
    public void Mean_aortic_pressure_is_cardiac_output_times_total_resistance()
    {
        // At periodic steady state the cycle mean of Pc is R·Q̄ and of P_ao (R + Zc)·Q̄, Q̄ = SV·HR/60:
        // (1.0 + 0.05)·70·72/60 = 88.2 mmHg. Checked over the last whole beat of 20 s, tolerance 0.2%.
        var s = Scenario.Create("rest", 20, "s").Build();
        var sim = new Sim(Model, s, 0.001);
        double period = 60.0 / 72;
        int start = (int)Math.Round((20 - 2 * period) / 0.001), end = (int)Math.Round((20 - period) / 0.001);
        var p = sim.Series("P_ao");
        double mean = 0;
        for (int k = start; k < end; k++) mean += 0.5 * (p[k] + p[k + 1]) * 0.001;
        mean /= period;
        mean.Should().BeApproximately(88.2, 88.2 * 0.002);
    }

    [Fact]
    public void Diastolic_decay_follows_the_RC_time_constant()
    {
        // In diastole Q = 0, so Pc(t) = Pc(te)·exp(−(t − te)/(R·C)), RC = 1.5 s. Analytic, 1e-6 relative.
        var s = Scenario.Create("rest", 10, "s").Build();
        var sim = new Sim(Model, s, 0.01);
        var pc = sim.Series("Pc");
        double period = 60.0 / 72, beatStart = 11 * period;
        int a = (int)Math.Ceiling((beatStart + 0.3) / 0.01), b = (int)Math.Floor((beatStart + period) / 0.01) - 1;
        (pc[b] / pc[a]).Should().BeApproximately(Math.Exp(-(sim.Times[b] - sim.Times[a]) / 1.5), 1e-6);
    }

    [Fact]
    public void Reference_pressures_are_in_the_adult_range_and_rise_with_heart_rate()
    {
        var sim = new Sim(Model, Model.ReferenceScenario, 0.005);
        var p = sim.Series("P_ao");
        var rest = p.Take(4000).Skip(2000).ToArray();   // 10-20 s at 72 bpm
        var fast = p.Skip(6000).ToArray();              // 30-40 s at 100 bpm
        rest.Max().Should().BeInRange(100, 145);
        rest.Min().Should().BeInRange(55, 90);
        fast.Average().Should().BeGreaterThan(rest.Average() + 20);
    }
}
