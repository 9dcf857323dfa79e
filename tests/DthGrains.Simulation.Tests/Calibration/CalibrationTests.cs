using DthGrains.Simulation.Calibration;
using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Tests.Calibration;

public class CalibrationTests
{
    [Fact]
    public void Recovers_known_PK_parameters_from_noisy_data_within_their_standard_errors()
    {
        // Truth: ka = 1.3 /h, CL = 4 L/h, Vc = 25 L. 24 samples over 48 h, 5% proportional noise (seeded).
        var model = new PkPdModel();
        var scenario = Scenario.Create("single", 48, "h").Bolus(0, "oral_dose", 100, "mg").Build();
        var times = Enumerable.Range(1, 24).Select(i => i * 2.0).ToArray();
        var truth = model.Parameters(new Dictionary<string, double> { ["ka"] = 1.3, ["CL"] = 4, ["Vc"] = 25 });
        var ws = new SimulationWorkspace(model, new SolverOptions(SolverKind.Auto, 1e-10, 1e-12), times);
        var y = new double[times.Length * 3];
        ws.Solve(CompiledScenario.Compile(model.Info, scenario), truth, y);
        var rng = new Xoshiro256StarStar(2024);
        var clean = times.Select((_, i) => y[i * 3]).ToArray();
        var noisy = clean.Select(c => c * (1 + 0.05 * rng.NextNormal())).ToArray();
        var sd = clean.Select(c => 0.05 * c).ToArray();

        var fit = ModelCalibration.Fit(model, scenario, new Observations("Cc", times, noisy, sd),
            [new FitParameter("ka", 0.5, 0.05, 5), new FitParameter("CL", 10, 0.5, 50), new FitParameter("Vc", 10, 2, 100)]);

        fit.Converged.Should().BeTrue(fit.Message);
        double[] trueValues = [1.3, 4, 25];
        for (int k = 0; k < 3; k++)
        {
            fit.StandardErrors[k].Should().BeGreaterThan(0).And.BeLessThan(0.2 * trueValues[k]);
            // Within 2 standard errors (≈ 95% coverage); with this seed the errors are in fact within about 1 SE.
            Math.Abs(fit.Estimates[k] - trueValues[k]).Should().BeLessThan(2 * fit.StandardErrors[k], fit.Names[k]);
        }
        fit.ResidualVariance.Should().BeInRange(0.4, 2.0, "exact 1/σ² weights give s² ≈ 1");
        fit.Correlation[0].Should().BeApproximately(1, 1e-12);
    }

    [Fact]
    public void Bounds_are_respected()
    {
        var r = LevenbergMarquardt.Fit([new FitParameter("a", 0, -1, 1)], 3, (t, res) => { res[0] = t[0] - 5; res[1] = t[0] - 5; res[2] = t[0] - 5.1; });
        r.Estimates[0].Should().Be(1);
    }

    [Fact]
    public void Validation_metrics_are_computed_as_defined()
    {
        double[] obs = [100, 200, 50];
        double[] pred = [110, 190, 50];
        var m = ValidationReport.Compute(pred, obs, [90, 201, 40], [120, 210, 60]);
        m.Rmse.Should().BeApproximately(Math.Sqrt(200.0 / 3), 1e-12);
        m.Mae.Should().BeApproximately(20.0 / 3, 1e-12);
        m.Mard.Should().BeApproximately(100 * (0.1 + 0.05 + 0) / 3, 1e-12);
        m.Bias.Should().BeApproximately(0, 1e-12);
        m.Coverage.Should().BeApproximately(2.0 / 3, 1e-12);
    }
}
