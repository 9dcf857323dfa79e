using DthGrains.Simulation.Models;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Fhir.Mapping;
using DthGrains.Fhir.Synthetic;
using DthGrains.Fhir.Twins;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Xunit.Abstractions;

namespace DthGrains.Fhir.Tests.Twins;

public sealed class TwinComputationTests(ITestOutputHelper output)
{
    private static readonly SyntheticCohortRequest Cohort = new("hovorka", Patients: 20, Days: 3, Seed: 1);

    private sealed record Recovery(int Patient, double[] Z, bool Converged, double ResidualVariance, bool ValidationPassed, double Mard);

    /// <summary>
    /// `dth synth --model hovorka --patients 20 --days 3 --seed 1`: calibrate each twin on days 1–2, validate on day 3.
    /// Measured at this commit: 77 of 100 parameter estimates lie within 2 standard errors of the hidden truth
    /// (log scale), 13 of 20 patients have every parameter within 3 standard errors, and all 20 pass validation on the
    /// held-out day. The linearised standard errors are somewhat optimistic (nominal 2-SE coverage would be 95 %): the
    /// sensitivities SIT/SID/SIE are correlated along curved valleys. The thresholds below sit just under the measured
    /// rates, so a regression in mapping, weighting or fitting fails the test.
    /// </summary>
    [Fact]
    public void Calibration_on_synthetic_patients_recovers_the_hidden_parameters_for_most_and_validation_passes_on_the_held_out_day()
    {
        var results = new Recovery[Cohort.Patients];
        Parallel.For(0, Cohort.Patients, i =>
        {
            var patient = SyntheticPatients.GeneratePatient(Cohort, i);
            var timeline = FhirToModel.Map(patient.BundleJson, patient.Pseudonym, "hovorka");
            var fit = TwinComputation.Calibrate(timeline, "1.0.0");
            var z = fit.Parameters.Select(p => Math.Abs(Math.Log(p.Estimate) - Math.Log(patient.Truth.Parameters[p.Name])) / p.LogStandardError).ToArray();
            var validation = TwinComputation.Validate(timeline, fit.Values, "1.0.0");
            // The default acceptance criteria of a twin's context of use (TwinAcceptance): MARD ≤ 15 %, |bias| ≤ 1 mmol/L, coverage ≥ 80 %.
            var m = validation.Metrics;
            bool passed = m.Mard <= 15 && Math.Abs(m.Bias) <= 1 && m.Coverage >= 0.8;
            results[i] = new Recovery(i, z, fit.Converged, fit.ResidualVariance, passed, m.Mard);
        });
        foreach (var r in results)
            output.WriteLine($"patient {r.Patient + 1}: |z| {string.Join(" ", r.Z.Select(z => z.ToString("F1")))}, s² {r.ResidualVariance:F2}, MARD {r.Mard:F1} %, validation {(r.ValidationPassed ? "pass" : "fail")}");

        int within2 = results.Sum(r => r.Z.Count(z => z <= 2)), total = results.Sum(r => r.Z.Length);
        int patientsWithin3 = results.Count(r => r.Z.All(z => z <= 3));
        output.WriteLine($"within 2 SE: {within2}/{total}; patients with every parameter within 3 SE: {patientsWithin3}/{results.Length}");

        results.Should().OnlyContain(r => r.Converged);
        results.Should().OnlyContain(r => r.ResidualVariance < 1.6, "the fit reaches the noise level (s² ≈ 1)");
        within2.Should().BeGreaterThanOrEqualTo(70, "at least 70 % of the estimates lie within 2 SE of the truth");
        patientsWithin3.Should().BeGreaterThanOrEqualTo(11, "most patients have every parameter within 3 SE");
        results.Count(r => r.ValidationPassed).Should().BeGreaterThanOrEqualTo(18, "validation passes on the held-out day for (nearly) every patient");
    }

    /// <summary>
    /// Without meals, the meal absorption time has no effect on glucose: the fit cannot bound its uncertainty, and the
    /// calibration says what the data lacks instead of carrying a NaN into an event (a 500 at the append).
    /// </summary>
    [Fact]
    public void A_parameter_the_data_cannot_identify_is_named_not_returned_as_nan()
    {
        var patient = SyntheticPatients.GeneratePatient(Cohort with { Patients = 1 }, 0);
        var bundle = System.Text.Json.Nodes.JsonNode.Parse(patient.BundleJson)!;
        var entries = bundle["entry"]!.AsArray();
        foreach (var meal in entries.Where(e => e!["resource"]!["code"]?["coding"]?[0]?["code"]?.GetValue<string>() == "9059-7").ToList())
            entries.Remove(meal);
        var timeline = FhirToModel.Map(bundle.ToJsonString(), patient.Pseudonym, "hovorka");
        timeline.Report.IsSuccess.Should().BeTrue();
        timeline.Carbohydrates.Should().BeEmpty();

        var calibrate = () => TwinComputation.Calibrate(timeline, "1.0.0");

        calibrate.Should().Throw<ArgumentException>().Which.Message.Should().StartWith("The data cannot identify").And.Contain("Link data with meals");
    }

    /// <summary>The held-out day is the last day of glucose readings, whatever inputs are recorded after it.</summary>
    [Fact]
    public void The_held_out_window_follows_the_glucose_readings_not_later_inputs()
    {
        var patient = SyntheticPatients.GeneratePatient(Cohort with { Patients = 1 }, 0);
        var timeline = FhirToModel.Map(patient.BundleJson, patient.Pseudonym, "hovorka");
        var later = timeline with { InsulinBoluses = [.. timeline.InsulinBoluses, new TimedValue(timeline.Glucose[^1].Time.AddDays(2), 4)] };
        later.End.Should().BeAfter(timeline.Glucose[^1].Time.AddDays(1), "the timeline reaches the later dose");

        TwinComputation.HoldOutFrom(later).Should().Be(timeline.Glucose[^1].Time.AddHours(-24));
    }

    [Fact]
    public void The_held_out_day_is_the_last_day_and_a_wrong_model_is_refused()
    {
        var patient = SyntheticPatients.GeneratePatient(Cohort with { Patients = 1 }, 0);
        var timeline = FhirToModel.Map(patient.BundleJson, patient.Pseudonym, "hovorka");
        TwinComputation.HoldOutFrom(timeline).Should().Be(timeline.Glucose[^1].Time.AddHours(-24), "the last 24 h of the readings");
        var bergman = timeline with { ModelId = "bergman-minimal" };
        FluentActions.Invoking(() => TwinComputation.Calibrate(bergman, "1.0.0")).Should().Throw<ArgumentException>().WithMessage("*not supported*");
    }

    [Fact]
    public void A_what_if_plan_is_reproducible_by_its_request_hash_and_a_bigger_meal_raises_glucose()
    {
        var parameters = new Dictionary<string, double> { ["BW"] = 72, ["SIT"] = 0.005 };
        var plan = new WhatIfPlan("usual", 24, [new PlannedMealDose(420, 45, 4), new PlannedMealDose(720, 65, 6), new PlannedMealDose(1110, 75, 7)], 0.9);
        var a = TwinComputation.Predict("hovorka-2004", "1.0.0", parameters, plan);
        var b = TwinComputation.Predict("hovorka-2004", "1.0.0", parameters, plan);
        a.RequestHash.Should().Be(b.RequestHash).And.HaveLength(64);
        a.Glucose.Should().Equal(b.Glucose);
        a.Minutes.Should().HaveCount(24 * 12 + 1);

        var bigger = TwinComputation.Predict("hovorka-2004", "1.0.0", parameters, plan with { Meals = [.. plan.Meals.Select(m => m with { Carbohydrate = m.Carbohydrate * 2 })] });
        bigger.RequestHash.Should().NotBe(a.RequestHash);
        bigger.Mean.Should().BeGreaterThan(a.Mean);
        (a.InRangePercent + a.BelowRangePercent + a.AboveRangePercent).Should().BeApproximately(100, 0.2);
    }

    [Fact]
    public void The_fhir_export_parses_with_hl7_and_carries_method_code_report_and_provenance_references()
    {
        var prediction = TwinComputation.Predict("hovorka-2004", "1.0.0", new Dictionary<string, double> { ["BW"] = 72 },
            new WhatIfPlan("light breakfast", 24, [new PlannedMealDose(420, 25, 2.5)], 0.9));
        var source = new TwinExportSource("3f2c8a9e-0000-4000-8000-000000000001", "Carla's twin", "7", "hovorka-2004", "1.0.0", TwinModels.EngineVersion,
            "charite-t1d-synthetic", "1.0.0", "synth-00001", "grant-42", "cal-hash", "val-hash", "sc-1", "light breakfast",
            new DateTimeOffset(2024, 1, 4, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
        var json = TwinFhirExport.Build(source, prediction);
        TwinFhirExport.Build(source, prediction).Should().Be(json, "the export is deterministic");

        var bundle = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<Bundle>(json);
        var observations = bundle.Entry.Select(e => e.Resource).OfType<Observation>().ToList();
        observations.Should().HaveCount(25);
        observations.Should().OnlyContain(o => o.Method!.Coding.Single().Code == TwinFhirExport.ModelPredictionCode && o.Status == ObservationStatus.Preliminary);
        observations.Should().OnlyContain(o => o.Subject!.Identifier!.Value == "synth-00001" && o.Subject.Reference == null);
        var report = bundle.Entry.Select(e => e.Resource).OfType<DiagnosticReport>().Single();
        report.Result.Should().HaveCount(25);
        var provenance = bundle.Entry.Select(e => e.Resource).OfType<Provenance>().Single();
        // Every reference resolves inside the bundle: its entries' fullUrls are urn:uuid, and a relative reference from
        // such an entry resolves against no base (FHIR R4 bundle resolution), so the references are the fullUrls.
        var fullUrls = bundle.Entry.Select(e => e.FullUrl).ToHashSet();
        report.Result.Concat(provenance.Target).Select(r => r.Reference).Should().OnlyContain(r => fullUrls.Contains(r));
        provenance.Target.Select(t => t.Reference).Should().Contain($"urn:uuid:{report.Id}").And.Contain($"urn:uuid:{observations[0].Id}");
        var what = provenance.Entity.Select(e => $"{e.What!.Identifier!.System}|{e.What.Identifier.Value}").ToList();
        what.Should().Contain($"{TwinFhirExport.TwinSystem}|{source.TwinId}|7")
            .And.Contain($"{TwinFhirExport.ModelSystem}|hovorka-2004|1.0.0")
            .And.Contain($"{TwinFhirExport.DatasetSystem}|charite-t1d-synthetic|1.0.0")
            .And.Contain($"{TwinFhirExport.RequestSystem}|{prediction.RequestHash}");
        provenance.Policy.Should().ContainSingle().Which.Should().EndWith("grant-42");
        bundle.Entry.Select(e => e.Resource).OfType<Patient>().Should().BeEmpty("no identity leaves the platform");
    }
}

/// <summary>A twin's what-if plan as a single run of the simulation platform gives the twin's own prediction.</summary>
public sealed class TwinScenarioRunTests
{
    [Fact]
    public void A_single_run_with_the_plan_inline_reproduces_the_local_prediction()
    {
        var parameters = new Dictionary<string, double> { ["EGP0"] = 0.017, ["SIT"] = 0.0045, ["SID"] = 0.0007, ["SIE"] = 0.045, ["tmaxG"] = 45, ["BW"] = 72 };
        var plan = new WhatIfPlan("lighter breakfast", 24, [new PlannedMealDose(420, 25, 2), new PlannedMealDose(720, 65, 5.5), new PlannedMealDose(1110, 0, 1)], 0.9);
        var local = TwinComputation.Predict(HovorkaModel.Id, "1.0.0", parameters, plan);

        var request = new RunRequest(RunKind.Single, HovorkaModel.Id, "1.0.0", OutputStep: TwinComputation.Step,
            Solver: new RunSolverSettings("auto", TwinComputation.Solver.RelativeTolerance, TwinComputation.Solver.AbsoluteTolerance), Parameters: parameters,
            Plan: new RunWhatIfPlan(plan.Hours, plan.BasalUnitsPerHour, plan.Meals.Select(m => new RunPlanMeal(m.AtMinute, m.Carbohydrate, m.BolusUnits)).ToArray(), plan.Name));
        var (runPlan, problem) = RunPlanner.Plan(request);
        problem.Should().BeNull();
        runPlan!.Times.Should().Equal(local.Minutes);
        var output = RunPlanner.ExecuteShard(runPlan, 0);
        var summary = RunSummary.From(output.Statistics!.ToPartial(runPlan.Times.Length * runPlan.Outputs.Length), runPlan.Times, runPlan.Outputs, [50], runPlan.Units);
        int g = Array.IndexOf(summary.Outputs, "G"), nt = summary.Times.Length;
        var glucose = Enumerable.Range(0, nt).Select(t => summary.Mean[g * nt + t]!.Value).ToArray();
        glucose.Should().Equal(local.Glucose, "the same scenario, parameters, grid and tolerances, simulated by the same engine");

        var fromRun = TwinComputation.Prediction(summary.Times, glucose, TwinComputation.PredictionHash(HovorkaModel.Id, "1.0.0", parameters, plan));
        fromRun.RequestHash.Should().Be(local.RequestHash);
        (fromRun.Mean, fromRun.InRangePercent, fromRun.BelowRangePercent).Should().Be((local.Mean, local.InRangePercent, local.BelowRangePercent));
    }
}
