using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;
using DthGrains.Simulation.Units;

namespace DthGrains.Fhir.Synthetic;

/// <summary>A meal with its prandial bolus, in minutes from the start of the data.</summary>
internal sealed record PlannedMeal(double Minute, int Carbohydrate, double BolusUnits);

/// <summary>Everything drawn and simulated for one virtual patient, before it becomes FHIR.</summary>
internal sealed record VirtualPatient(
    int Index,
    string Pseudonym,
    bool Female,
    int BirthYear,
    double[] Parameters,
    double BasalUnitsPerHour,
    double CarbRatio,
    IReadOnlyList<PlannedMeal> Meals,
    double[] Times,
    double[] TrueGlucose,
    double[] ObservedGlucoseMmol)
{
    /// <summary>Sensor noise: SD = <see cref="NoiseSd"/> + <see cref="NoiseCv"/>·G mmol/L (CGM error grows with glucose).</summary>
    public const double NoiseSd = 0.2, NoiseCv = 0.05;

    /// <summary>CGM reporting range (40–400 mg/dL); readings outside are clipped, as sensors report LOW/HIGH.</summary>
    public const double SensorLow = 2.2, SensorHigh = 22.2;

    /// <summary>CGM sampling interval, minutes.</summary>
    public const int CgmInterval = 5;

    // Nominal meals: breakfast 07:00, lunch 12:00, dinner 18:30 (+ up to 60/90/90 min), 45/65/75 g (lognormal, CV ≈ 20 %).
    private static readonly (double Start, int Jitter5, double Grams)[] MealSlots = [(7 * 60, 12, 45), (12 * 60, 18, 65), (18 * 60 + 30, 18, 75)];

    /// <summary>
    /// The parameters that differ between virtual patients: the twin's personal parameters (what calibration should
    /// recover) and body weight (which the record shows). The others keep the published values, so that a calibration
    /// is checked against a truth the twin's model can express; model-form error is a separate question.
    /// </summary>
    public static readonly IReadOnlyList<string> HiddenParameters = [.. Twins.TwinModels.PersonalParameters(HovorkaModel.Id)!, "BW"];

    /// <summary>Draws patient <paramref name="index"/> of the cohort and simulates its days.</summary>
    public static VirtualPatient Create(HovorkaModel model, SyntheticCohortRequest request, int index)
    {
        var info = model.Info;
        var p = new double[info.Parameters.Count];
        new CohortSampler(info, model.DefaultParameters(), HiddenParameters).Sample(request.Seed, index, p);
        // A second, independent stream for therapy, meals, demographics and noise: parameters stay those CohortSampler (varying HiddenParameters)
        // would draw for (seed, index), so a cohort run of the simulation engine sees the same virtual patients.
        var rng = Xoshiro256StarStar.ForStream(request.Seed ^ 0x5EED_C0DE_F00D_CAFEUL, index);

        int bw = info.ParameterIndex("BW");
        p[bw] = Math.Round(p[bw], 1); // the weight the patient's record shows is the weight the model uses

        // Therapy: the basal that holds the fasting target, mistuned by up to ±5 % as in practice, at a pump resolution of
        // 0.01 U/h (the model's fasting glucose is steep in basal insulin); the carbohydrate ratio that brings a 50 g meal
        // back to the pre-meal glucose after 4–6 h (the clinical definition of a right ratio), mistuned by up to ±15 %.
        var u = new double[info.Inputs.Count];
        model.DefaultInputs(p, u);
        double basal = UnitRegistry.MilliUnitsPerMinute.ConvertTo(u[info.InputIndex("insulin")], UnitRegistry.UnitsPerHour);
        basal = Math.Max(0.01, Math.Round(basal * (0.95 + 0.1 * rng.NextDouble()), 2));
        double carbRatio = Math.Clamp(Math.Round(RightCarbRatio(model, p, basal) * (0.85 + 0.3 * rng.NextDouble())), 3, 60);

        bool female = rng.NextDouble() < 0.5;
        int birthYear = request.Start.Year - (18 + (int)(57 * rng.NextDouble()));

        var meals = new List<PlannedMeal>(3 * request.Days);
        for (int day = 0; day < request.Days; day++)
        {
            foreach (var (start, jitter, grams) in MealSlots)
            {
                double minute = day * 1440 + start + CgmInterval * Math.Floor((jitter + 1) * rng.NextDouble());
                int carbs = (int)Math.Clamp(Math.Round(grams * Math.Exp(0.2 * rng.NextNormal())), 10, 150);
                meals.Add(new PlannedMeal(minute, carbs, Math.Round(carbs / carbRatio, 1)));
            }
        }

        double duration = request.Days * 1440.0;
        var builder = Scenario.Create($"synthetic-{index}", duration).Rate(0, "insulin", basal, "U/h");
        foreach (var m in meals) builder.Meal(m.Minute, m.Carbohydrate).Bolus(m.Minute, "insulin_bolus", m.BolusUnits, "U");
        var scenario = CompiledScenario.Compile(info, builder.Build());

        int n = (int)(duration / CgmInterval);
        var times = new double[n];
        for (int k = 0; k < n; k++) times[k] = k * CgmInterval;
        var ws = new SimulationWorkspace(model, new SolverOptions(), times);
        var outputs = new double[n * ws.OutputCount];
        var status = ws.Solve(scenario, p, outputs);
        if (status != IntegrationStatus.Completed)
            throw new InvalidOperationException($"Simulation of virtual patient {index} ended with {status}.");

        int g = info.OutputIndex("G");
        var truth = new double[n];
        var observed = new double[n];
        for (int k = 0; k < n; k++)
        {
            double G = outputs[k * ws.OutputCount + g];
            truth[k] = G;
            observed[k] = Math.Clamp(G + (NoiseSd + NoiseCv * G) * rng.NextNormal(), SensorLow, SensorHigh);
        }
        return new VirtualPatient(index, SyntheticPatients.PseudonymOf(index), female, birthYear, p, basal, carbRatio, meals, times, truth, observed);
    }

    /// <summary>
    /// Grams of carbohydrate per unit of insulin for which a 50 g meal with its bolus returns the mean glucose over
    /// 4–6 h after the meal to the fasting level: bisection on the bolus, since more insulin means lower glucose.
    /// </summary>
    private static double RightCarbRatio(HovorkaModel model, double[] p, double basal)
    {
        const double grams = 50;
        double[] times = [240, 270, 300, 330, 360];
        var ws = new SimulationWorkspace(model, new SolverOptions(), times);
        var y = new double[times.Length * ws.OutputCount];
        int g = model.Info.OutputIndex("G");
        double MeanAfter(double bolus)
        {
            var s = Scenario.Create("carb-ratio", 360).Rate(0, "insulin", basal, "U/h").Meal(0, grams);
            if (bolus > 0) s.Bolus(0, "insulin_bolus", bolus, "U");
            if (ws.Solve(CompiledScenario.Compile(model.Info, s.Build()), p, y) != IntegrationStatus.Completed) return double.NaN;
            double sum = 0;
            for (int k = 0; k < times.Length; k++) sum += y[k * ws.OutputCount + g];
            return sum / times.Length;
        }
        double fasting = FastingGlucose(model, p, basal);
        double lo = 0, hi = 40;
        for (int it = 0; it < 30; it++)
        {
            double mid = 0.5 * (lo + hi);
            if (MeanAfter(mid) > fasting) lo = mid; else hi = mid;
        }
        return grams / Math.Max(0.5 * (lo + hi), 0.1);
    }

    private static double FastingGlucose(HovorkaModel model, double[] p, double basal)
    {
        var u = new double[model.Info.Inputs.Count];
        model.DefaultInputs(p, u);
        u[model.Info.InputIndex("insulin")] = UnitRegistry.UnitsPerHour.ConvertTo(basal, UnitRegistry.MilliUnitsPerMinute);
        var x = new double[model.Info.States.Count];
        model.InitialState(p, u, x);
        var y = new double[model.Info.Outputs.Count];
        model.Outputs(0, x, p, u, y);
        return y[model.Info.OutputIndex("G")];
    }
}
