using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Fhir.Datasets;
using DthGrains.Fhir.Mapping;
using DthGrains.Fhir.Synthetic;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;
using static DthGrains.Fhir.Tests.TestBundles;

namespace DthGrains.Fhir.Tests.Mapping;

public sealed class FhirToModelTests
{
    private const string T0 = "2024-03-01T08:00:00Z";

    private static PatientTimeline MapEntries(params JsonObject[] entries) =>
        FhirToModel.Map(Bundle("collection", [Entry(Patient("p1")), .. entries.Select(e => Entry(e, $"urn:uuid:{Guid.NewGuid()}"))]).ToJsonString(), "p1", "hovorka");

    [Fact]
    public void A_synthetic_patient_maps_completely()
    {
        var patient = SmallCohort.Patients[0];
        var timeline = FhirToModel.Map(patient.BundleJson, patient.Pseudonym, "hovorka");

        timeline.Report.IsSuccess.Should().BeTrue(string.Join("; ", timeline.Report.Errors));
        timeline.Report.Warnings.Should().BeEmpty();
        timeline.ModelId.Should().Be(HovorkaModel.Id);
        timeline.GlucoseUnit.Should().Be("mmol/L");
        timeline.Glucose.Should().HaveCount(288);
        timeline.Carbohydrates.Should().HaveCount(3).And.OnlyContain(c => c.Value >= 10 && c.Value <= 150);
        timeline.InsulinBoluses.Should().HaveCount(3);
        timeline.BasalRates.Should().ContainSingle().Which.UnitsPerHour.Should().Be(patient.Truth.BasalUnitsPerHour);
        timeline.BodyWeightKg.Should().Be(patient.Truth.Parameters["BW"]);
        timeline.Origin.Should().Be(SyntheticCohortRequest.DefaultStart);
        timeline.Covariates().Should().ContainKey("BW");
    }

    [Theory]
    [InlineData(1, 7UL, 1)]
    [InlineData(2, 11UL, 0)] // two days: contiguous basal periods must not drop to zero in between
    public void Mapped_inputs_and_true_parameters_reproduce_the_glucose_within_sensor_noise(int days, ulong seed, int index)
    {
        var patient = SyntheticPatients.GeneratePatient(new SyntheticCohortRequest(Patients: 2, Days: days, Seed: seed), index);
        var timeline = FhirToModel.Map(patient.BundleJson, patient.Pseudonym, "hovorka");
        var model = ModelLibrary.GetEngine("hovorka");
        var observed = timeline.GlucoseObservations();
        var p = model.Info.Parameters.Select(x => patient.Truth.Parameters[x.Name]).ToArray();
        var ws = new SimulationWorkspace(model, new SolverOptions(), observed.Times);
        var y = new double[observed.Times.Length * ws.OutputCount];
        ws.Solve(CompiledScenario.Compile(model.Info, timeline.ToScenario()), p, y).Should().Be(IntegrationStatus.Completed);

        // Residuals scaled by the stated noise SD (0.2 + 0.05·G mmol/L) should have an RMS near 1 if the mapping put every
        // input at the right time and in the right unit; a unit slip (U/min for U/h, mg for g) would blow it up.
        double sum = 0;
        for (int k = 0; k < observed.Times.Length; k++)
        {
            double g = y[k * ws.OutputCount + model.Info.OutputIndex("G")];
            double sd = patient.Truth.SensorNoiseSd + patient.Truth.SensorNoiseCv * g;
            sum += Math.Pow((observed.Values[k] - g) / sd, 2);
        }
        double rms = Math.Sqrt(sum / observed.Times.Length);
        rms.Should().BeInRange(0.7, 1.3);
    }

    [Fact]
    public void Glucose_in_mg_per_dl_arrives_in_the_models_mmol_per_l()
    {
        var request = new SyntheticCohortRequest(Patients: 1, Days: 1, Seed: 7) { GlucoseUnit = "mg/dL" };
        var mg = FhirToModel.Map(SyntheticPatients.GeneratePatient(request, 0).BundleJson, "synth-00001", "hovorka");
        var mmol = FhirToModel.Map(SmallCohort.Patients[0].BundleJson, "synth-00001", "hovorka");
        mg.GlucoseUnit.Should().Be("mmol/L");
        // Same noise draws; 0.1 mmol/L vs 1 mg/dL (0.056 mmol/L) display resolution.
        mg.Glucose.Select(g => g.Value).Should().Equal(mmol.Glucose.Select(g => g.Value), (a, b) => Math.Abs(a - b) <= 0.08);
    }

    [Fact]
    public void Units_are_converted_and_unmapped_codes_reported()
    {
        var timeline = MapEntries(
            Glucose("Patient/p1", T0, 180, "mg/dL", "2339-0"),
            Glucose("Patient/p1", "2024-03-01T08:05:00Z", 5.5, unit: null, code: "15074-8").Also(o => o["valueQuantity"]!["unit"] = "mmol/L"),
            Observation("Patient/p1", "9059-7", T0, Quantity(45_000, "mg")),
            Observation("Patient/p1", "8867-4", T0, Quantity(72, "/min")),
            Insulin("Patient/p1", During(T0, "2024-03-01T12:00:00Z"), rate: Quantity(0.01, "[iU]/min", "U/min")),
            Insulin("Patient/p1", At(T0), dose: Quantity(2500, "m[iU]")),
            Insulin("Patient/p1", At(T0), dose: Quantity(500, "mg"), atc: "A10BA02"));

        timeline.Report.Errors.Should().BeEmpty();
        timeline.Glucose.Select(g => g.Value).Should().Equal([180 * 10 / 180.156, 5.5], (a, b) => Math.Abs(a - b) < 1e-9);
        timeline.Carbohydrates.Single().Value.Should().BeApproximately(45, 1e-9);
        timeline.BasalRates.Single().Should().Match<InsulinRate>(r => Math.Abs(r.UnitsPerHour - 0.6) < 1e-9 && r.End == DateTimeOffset.Parse("2024-03-01T12:00:00Z"));
        timeline.InsulinBoluses.Single().Value.Should().BeApproximately(2.5, 1e-9);
        timeline.Report.UnmappedCodes.Should().Equal("http://loinc.org|8867-4", "http://www.whocc.no/atc|A10BA02");
        timeline.Report.Warnings.Should().Contain(w => w.Element == "Observation.valueQuantity.code" && w.Message.Contains("No UCUM code"));
        timeline.Report.Warnings.Should().Contain(w => w.Message.Contains("8867-4"));
    }

    [Fact]
    public void Unit_less_unknown_and_wrong_units_and_imprecise_times_are_errors()
    {
        var timeline = MapEntries(
            Glucose("Patient/p1", T0, 6.1, unit: null),
            Glucose("Patient/p1", T0, 6.1, "mmol/kg"),
            Glucose("Patient/p1", T0, 6.1, "g"),
            Glucose("Patient/p1", "2024-03-01", 6.1),
            Insulin("Patient/p1", At(T0), dose: Quantity(2, "[iU]/h")));

        timeline.Report.IsSuccess.Should().BeFalse();
        var messages = timeline.Report.Errors.Select(e => e.Message).ToList();
        messages.Should().HaveCount(5);
        messages.Should().Contain(m => m.Contains("Unit-less"));
        messages.Should().Contain(m => m.Contains("unknown unit 'mmol/kg'"));
        messages.Should().Contain(m => m.Contains("unit 'g' measures mass, not glucose concentration"));
        messages.Should().Contain(m => m.Contains("not precise to the minute"));
        messages.Should().Contain(m => m.Contains("unit '[iU]/h' measures insulin rate, not insulin amount"));
        timeline.Invoking(t => t.ToScenario()).Should().Throw<InvalidOperationException>();
    }

    /// <summary>
    /// Values no patient has (a weight of 0 divides the model's volumes; a weight in g sent as kg makes a 70-tonne
    /// patient) are mapping errors, named with the range; a censored reading ("&lt;2.2", a meter's LOW) is a bound, left
    /// out with a warning; a placeholder date is refused before it stretches the timeline over centuries.
    /// </summary>
    [Fact]
    public void Implausible_values_and_dates_are_errors_and_censored_readings_are_left_out()
    {
        var instant = Glucose("Patient/p1", T0, 6.1);
        instant.Remove("effectiveDateTime");
        instant["effectiveInstant"] = "0001-01-01T00:00:00Z";
        var censored = Glucose("Patient/p1", T0, 2.2);
        censored["valueQuantity"]!["comparator"] = "<";
        var timeline = MapEntries(
            Glucose("Patient/p1", "2024-03-01T09:00:00Z", 6.1),
            Glucose("Patient/p1", "2024-03-01T10:00:00Z", 0),
            Glucose("Patient/p1", "2024-03-01T11:00:00Z", 1200, "mg/dL"),
            Observation("Patient/p1", "29463-7", T0, Quantity(0, "kg")),
            Observation("Patient/p1", "29463-7", T0, Quantity(70_000, "kg")),
            Observation("Patient/p1", "9059-7", T0, Quantity(-40, "g")),
            Insulin("Patient/p1", At(T0), dose: Quantity(1000, "[iU]")),
            Insulin("Patient/p1", During(T0, "2024-03-02T08:00:00Z"), rate: Quantity(-1, "[iU]/h")),
            Glucose("Patient/p1", "9999-12-31T23:00:00Z", 6.1),
            instant,
            censored);

        var errors = timeline.Report.Errors;
        errors.Select(e => e.Message).Should().HaveCount(9);
        errors.Should().Contain(e => e.Message.StartsWith("0 mmol/L is not a plausible glucose (from 0.5 to 50 mmol/L)"));
        errors.Should().Contain(e => e.Message.Contains("is not a plausible glucose") && e.Message.StartsWith("66.6"), "1200 mg/dL is 66.6 mmol/L");
        errors.Should().Contain(e => e.Message.StartsWith("0 kg is not a plausible body weight (from 2 to 350 kg): check the value and its unit."));
        errors.Should().Contain(e => e.Message.StartsWith("7E+04 kg is not a plausible body weight"));
        errors.Should().Contain(e => e.Message.StartsWith("-40 g is not a plausible carbohydrate intake"));
        errors.Should().Contain(e => e.Message.StartsWith("1000 U is not a plausible insulin dose"));
        errors.Should().Contain(e => e.Message.StartsWith("-1 U/h is not a plausible basal insulin rate"));
        errors.Should().Contain(e => e.Message == "The time 9999-12-31 is not between 1900 and 2200.");
        errors.Should().Contain(e => e.Message == "The time 0001-01-01 is not between 1900 and 2200.", "an effectiveInstant is bounded too");
        timeline.Report.Warnings.Should().Contain(w => w.Element == "Observation.valueQuantity.comparator" && w.Message.Contains("(< 2.2) is a bound"));
        timeline.Glucose.Select(g => g.Value).Should().Equal([6.1], "only the plausible, measured reading is kept");
    }

    [Fact]
    public void Models_without_a_mapping_and_absent_subjects_are_reported()
    {
        var json = SmallCohort.Patients[0].BundleJson;
        FhirToModel.Map(json, "synth-00001", "bergman").Report.Errors.Single().Message.Should().Contain("No FHIR mapping").And.Contain("hovorka-2004");
        FhirToModel.Map(json, "synth-00001", "no-such-model").Report.Errors.Single().Message.Should().Contain("Unknown model");
        FhirToModel.Map(json, "synth-00002", "hovorka").Report.Errors.Single().Message.Should().Contain("no such subject");
        FhirToModel.Map("{\"resourceType\":\"Patient\"}", "synth-00001", "hovorka").Report.Errors.Single().Message.Should().Contain("400");
    }

    [Fact]
    public void No_name_birth_date_or_identifier_from_the_fhir_data_reaches_the_mapping_output()
    {
        var canary = new JsonObject
        {
            ["resourceType"] = "Patient",
            ["id"] = "pseudo-7f3a",
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = "urn:oid:1.2.3.4.5", ["value"] = "CANARY-MRN-918273" }),
            ["name"] = new JsonArray(new JsonObject { ["family"] = "Canaryfield", ["given"] = new JsonArray("Zebulon") }),
            ["telecom"] = new JsonArray(new JsonObject { ["system"] = "phone", ["value"] = "+31-6-55501234" }),
            ["gender"] = "male",
            ["birthDate"] = "1937-04-05",
            ["address"] = new JsonArray(new JsonObject { ["line"] = new JsonArray("Kanariestraat 99"), ["city"] = "Vogelzang" }),
        };
        var odd = Glucose("Patient/pseudo-7f3a", T0, 6.0, "mmol/L", "8867-4");
        var json = Bundle("collection",
            Entry(canary),
            Entry(Glucose("Patient/pseudo-7f3a", T0, 6.0), ObservationUuid),
            Entry(Glucose("Patient/pseudo-7f3a", "2024-03-01T08:05:00Z", 6.2, unit: null), "urn:uuid:3b7d4c2e-8e1f-4a5b-9c6d-7e8f9a0b1c2d"),
            Entry(odd, "urn:uuid:4b7d4c2e-8e1f-4a5b-9c6d-7e8f9a0b1c2d")).ToJsonString();

        var fromJson = FhirToModel.Map(json, "pseudo-7f3a", "hovorka");
        var fromContent = FhirToModel.Map(DatasetBundleReader.Read(json).Content!, "pseudo-7f3a", "hovorka");
        fromJson.Report.Errors.Should().NotBeEmpty("the unit-less reading makes sure error messages are searched too");

        foreach (var timeline in new[] { fromJson, fromContent })
        {
            string output = JsonSerializer.Serialize(timeline) + string.Join("\n", timeline.Report.Warnings.Concat(timeline.Report.Errors));
            output.Should().Contain("pseudo-7f3a");
            foreach (var secret in new[] { "CANARY-MRN-918273", "1.2.3.4.5", "Canaryfield", "Zebulon", "1937", "+31-6-55501234", "Kanariestraat", "Vogelzang" })
                output.Should().NotContain(secret);
        }
    }
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject o, Action<JsonObject> change) { change(o); return o; }
}
