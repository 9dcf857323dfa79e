using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Tests.Models;

public class PkPdTests
{
    private static readonly PkPdModel Model = new();

    /// <summary>Closed-form central amount after an oral dose D (two-compartment, first-order absorption).</summary>
    private static double CentralAmount(double t, double dose, double ka, double cl, double vc, double q, double vp)
    {
        double k10 = cl / vc, k12 = q / vc, k21 = q / vp;
        double sum = k10 + k12 + k21, disc = Math.Sqrt(sum * sum - 4 * k10 * k21);
        double alpha = 0.5 * (sum + disc), beta = 0.5 * (sum - disc);
        return dose * ka * (
            (k21 - alpha) * Math.Exp(-alpha * t) / ((ka - alpha) * (beta - alpha)) +
            (k21 - beta) * Math.Exp(-beta * t) / ((ka - beta) * (alpha - beta)) +
            (k21 - ka) * Math.Exp(-ka * t) / ((alpha - ka) * (beta - ka)));
    }

    [Theory]
    [InlineData(SolverKind.DormandPrince45)]
    [InlineData(SolverKind.Rodas4)]
    public void Single_oral_dose_matches_the_closed_form_solution(SolverKind kind)
    {
        var s = Scenario.Create("single", 48, "h").Bolus(0, "oral_dose", 100, "mg").Build();
        var sim = new Sim(Model, s, 0.5, options: new SolverOptions(kind, 1e-9, 1e-12));
        var cc = sim.Series("Cc");
        for (int k = 0; k < sim.Times.Length; k++)
            cc[k].Should().BeApproximately(CentralAmount(sim.Times[k], 100, 1, 5, 20, 10, 50) / 20, 1e-6);
    }

    [Fact]
    public void Reference_regimen_follows_the_closed_form_by_superposition()
    {
        // The reference scenario (100 mg orally every 24 h for 7 days, default parameters). The model is linear up to
        // the Emax link, so its exact solution is the superposition of single doses: Ac(t) = D·ka·Σ c_j·e^(−λ_j·t) over
        // λ = (α, β, ka), and the effect site, dCe/dt = ke0·(Cc − Ce), gives Ce = Σ (D·ka·c_j/Vc)·ke0/(ke0 − λ_j)·
        // (e^(−λ_j·t) − e^(−ke0·t)). Key numbers checked hourly over the week: Cc, Ce and E (sigmoid Emax of Ce), so the
        // peaks, their times, the troughs before each dose and the accumulation all follow; tolerance 1e-6 mg/L and
        // 1e-5 % effect (solver rtol 1e-8).
        const double ka = 1, cl = 5, vc = 20, q = 10, vp = 50, ke0 = 0.5, dose = 100;
        double k10 = cl / vc, k12 = q / vc, k21 = q / vp, sum = k10 + k12 + k21, disc = Math.Sqrt(sum * sum - 4 * k10 * k21);
        double alpha = 0.5 * (sum + disc), beta = 0.5 * (sum - disc);
        double[] lambda = [alpha, beta, ka];
        double[] coef =
        [
            (k21 - alpha) / ((ka - alpha) * (beta - alpha)),
            (k21 - beta) / ((ka - beta) * (alpha - beta)),
            (k21 - ka) / ((alpha - ka) * (beta - ka)),
        ];
        (double Cc, double Ce) Single(double t)
        {
            double cc = 0, ce = 0;
            for (int j = 0; j < 3; j++)
            {
                double a = dose * ka * coef[j] / vc;
                cc += a * Math.Exp(-lambda[j] * t);
                ce += a * ke0 / (ke0 - lambda[j]) * (Math.Exp(-lambda[j] * t) - Math.Exp(-ke0 * t));
            }
            return (cc, ce);
        }

        var sim = new Sim(Model, Model.ReferenceScenario, 1);
        var cc = sim.Series("Cc");
        var ce = sim.Series("Ce");
        var e = sim.Series("E");
        for (int k = 0; k < sim.Times.Length; k++)
        {
            double c = 0, cEff = 0;
            for (int d = 0; d < 7 && 24 * d <= k; d++)
            {
                var (a, b) = Single(k - 24 * d);
                c += a; cEff += b;
            }
            cc[k].Should().BeApproximately(c, 1e-6, $"Cc at {k} h");
            ce[k].Should().BeApproximately(cEff, 1e-6, $"Ce at {k} h");
            e[k].Should().BeApproximately(100 * cEff * cEff / (1 + cEff * cEff), 1e-5, $"E at {k} h");
        }
        // Accumulation: every trough (just before a dose) exceeds the one before, towards the steady state.
        for (int d = 2; d < 7; d++) cc[24 * d - 1].Should().BeGreaterThan(cc[24 * (d - 1) - 1]);
    }

    [Fact]
    public void Area_under_the_curve_is_dose_over_clearance()
    {
        // AUC(0-∞) = F·D/CL = 20 mg·h/L; over 400 h the tail is negligible. Tolerance 0.1%.
        var s = Scenario.Create("single", 400, "h").Bolus(0, "oral_dose", 100, "mg").Build();
        new Sim(Model, s, 0.1).Integral("Cc").Should().BeApproximately(20, 0.02);
    }

    [Fact]
    public void Effect_is_half_maximal_at_EC50()
    {
        PkPdModel.Effect(1, 0, 100, 1, 2).Should().Be(50);
        PkPdModel.Effect(3, 0, 100, 1, 2).Should().BeApproximately(90, 1e-12);
    }

    [Fact]
    public void Stiff_setting_is_solved_by_Rodas4_and_auto_hands_over()
    {
        var sim = new Sim(Model, Model.ReferenceScenario, 1, PkPdModel.StiffParameters, new SolverOptions(SolverKind.Auto, 1e-6, 1e-9));
        sim.Workspace.SwitchedToStiff.Should().BeTrue();
        var rodas = new Sim(Model, Model.ReferenceScenario, 1, PkPdModel.StiffParameters, new SolverOptions(SolverKind.Rodas4, 1e-9, 1e-12));
        var dp = new Sim(Model, Model.ReferenceScenario, 1, PkPdModel.StiffParameters, new SolverOptions(SolverKind.DormandPrince45, 1e-9, 1e-12));
        rodas.Workspace.Statistics.AcceptedSteps.Should().BeLessThan(dp.Workspace.Statistics.AcceptedSteps / 10);
        var a = rodas.Series("E");
        var b = dp.Series("E");
        for (int k = 0; k < a.Length; k++) a[k].Should().BeApproximately(b[k], 1e-4);
    }
}
