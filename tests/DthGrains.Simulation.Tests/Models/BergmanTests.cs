using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Tests.Models;

public class BergmanTests
{
    private static readonly BergmanMinimalModel Model = new();

    [Fact]
    public void Basal_state_is_a_steady_state()
    {
        // Key number: with the basal insulin input n·Ib·VI the model rests at (Gb, X = 0, Ib) = (81 mg/dL, 0, 4.5 µU/mL).
        // Tolerance 1e-6: with a zero error estimate the steps grow to hours and round-off drifts by ~1e-7.
        var sim = new Sim(Model, Scenario.Create("fasting", 1440).Build(), 60);
        sim.Series("G").Should().AllSatisfy(g => g.Should().BeApproximately(81, 1e-6));
        sim.Series("I").Should().AllSatisfy(i => i.Should().BeApproximately(4.5, 1e-6));
    }

    [Fact]
    public void Glucose_effectiveness_is_the_fractional_disappearance_rate_at_basal_insulin()
    {
        // Bergman 1979's definition of S_G = p1: after an IV glucose bolus with insulin held at basal (X = 0),
        // G − Gb decays as exp(−p1·t). Analytic check, tolerance 1e-6 relative (solver rtol 1e-8).
        var s = Scenario.Create("ivgtt-no-insulin", 120).Bolus(0, "glucose_bolus", 21, "g").Build();
        var sim = new Sim(Model, s, 10);
        double g0 = 81 + 21000 / (1.7 * 70);
        var g = sim.Series("G");
        for (int k = 0; k < sim.Times.Length; k++)
            (g[k] - 81).Should().BeApproximately((g0 - 81) * Math.Exp(-0.028735 * sim.Times[k]), 1e-6 * g0);
    }

    [Fact]
    public void Reference_IVGTT_shows_the_insulin_effect()
    {
        // The FSIGT reference scenario: glucose peaks at the bolus (≈ 257 mg/dL for 0.3 g/kg over 1.7 dL/kg), the
        // insulin dose at 20 min accelerates the return and undershoots basal within 3 h.
        var sim = new Sim(Model, Model.ReferenceScenario, 1);
        var g = sim.Series("G");
        g[0].Should().BeApproximately(81 + 21000 / (1.7 * 70), 1e-9);
        var noInsulin = new Sim(Model, Scenario.Create("x", 180).Bolus(0, "glucose_bolus", 21, "g").Build(), 1).Series("G");
        g[60].Should().BeLessThan(noInsulin[60] - 10);
        g.Min().Should().BeLessThan(81);
    }

    [Fact]
    public void Meal_absorption_conserves_mass_and_peaks_at_tau()
    {
        // Two-compartment gut: Ra(t) = f·D·t/τ²·e^(−t/τ), so Ra peaks at τ = 40 min and ∫Ra = f·D (mass balance).
        var s = Scenario.Create("meal", 1440).Meal(0, 50).Build();
        var sim = new Sim(Model, s, 1);
        sim.TimeOfMax("Ra").Should().Be(40);
        sim.Integral("Ra").Should().BeApproximately(0.9 * 50_000, 0.9 * 50_000 * 1e-4);
    }

    [Fact]
    public void A_five_minute_insulin_pulse_is_not_stepped_over_at_loose_tolerance()
    {
        // 1 U over 5 min (0.2 U/min) at 600 min, far from anything else; at rtol 1e-2 an integrator without a restart at
        // the pulse would take steps of hours and could miss it entirely. Analytic: I − Ib = u/(n·VI)·(1 − e^{−n·t})
        // during the pulse; the integral of extra insulin is exactly dose/(n·VI) (mass balance).
        var s = Scenario.Create("pulse", 1440).Infusion(600, "insulin", 0.2, "U/min", 5).Build();
        var loose = new SolverOptions(SolverKind.DormandPrince45, 1e-2, 1e-2);
        var sim = new Sim(Model, s, 1, options: loose);
        double n = 5.0 / 54, vi = 12, extra = 200 / (n * vi);
        sim.Series("I")[605].Should().BeApproximately(4.5 + extra * (1 - Math.Exp(-n * 5)), 0.05);
        (sim.Integral("I") - 4.5 * 1440).Should().BeApproximately(1000 / (n * vi), 1000 / (n * vi) * 0.02);
        sim.Workspace.Statistics.AcceptedSteps.Should().BeLessThan(200, "the loose tolerance is honoured elsewhere");
    }
}
