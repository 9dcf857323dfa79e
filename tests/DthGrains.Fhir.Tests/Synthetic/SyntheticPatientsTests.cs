using System.Text.Json.Nodes;
using DthGrains.Fhir.Datasets;
using DthGrains.Fhir.Synthetic;

namespace DthGrains.Fhir.Tests.Synthetic;

public sealed class SyntheticPatientsTests
{
    private static readonly SyntheticCohortRequest Request = new(Patients: 2, Days: 1, Seed: 7);

    [Fact]
    public void The_same_request_gives_byte_identical_bundles_and_truth()
    {
        var again = SyntheticPatients.Generate(Request);
        var first = TestBundles.SmallCohort;
        again.Patients.Select(p => p.BundleJson).Should().Equal(first.Patients.Select(p => p.BundleJson));
        again.Patients.Select(p => p.Truth.Parameters).Should().BeEquivalentTo(first.Patients.Select(p => p.Truth.Parameters));
        // A patient generated alone is the same patient.
        SyntheticPatients.GeneratePatient(Request, 1).BundleJson.Should().Be(first.Patients[1].BundleJson);
    }

    [Fact]
    public void Another_seed_gives_other_patients()
    {
        var other = SyntheticPatients.GeneratePatient(Request with { Seed = 8 }, 0);
        other.BundleJson.Should().NotBe(TestBundles.SmallCohort.Patients[0].BundleJson);
        other.Truth.Parameters["SIT"].Should().NotBe(TestBundles.SmallCohort.Patients[0].Truth.Parameters["SIT"]);
    }

    [Fact]
    public void Hidden_parameters_differ_across_patients()
    {
        var cohort = SyntheticPatients.Generate(new SyntheticCohortRequest(Patients: 5, Days: 1, Seed: 3));
        foreach (var name in new[] { "EGP0", "SIT", "SID", "SIE", "tmaxG", "BW" })
            cohort.Patients.Select(p => p.Truth.Parameters[name]).Distinct().Should().HaveCount(5, name);
        // Only the twin's personal parameters (and body weight) are hidden: the rest keep the published values.
        foreach (var name in new[] { "F01", "ke", "tmaxI", "k12" })
            cohort.Patients.Select(p => p.Truth.Parameters[name]).Distinct().Should().ContainSingle(name);
        cohort.Patients.Select(p => p.Truth.Pseudonym).Should().Equal("synth-00001", "synth-00002", "synth-00003", "synth-00004", "synth-00005");
        cohort.Patients.Should().OnlyContain(p => p.Truth.ModelId == "hovorka-2004" && p.Truth.Parameters.Count == 17);
        cohort.Patients.Should().OnlyContain(p => p.Truth.BasalUnitsPerHour > 0 && p.Truth.CarbRatioGramsPerUnit >= 3);
    }

    [Fact]
    public void Every_bundle_reads_back_with_the_strict_reader()
    {
        foreach (var p in TestBundles.SmallCohort.Patients)
        {
            var result = DatasetBundleReader.Read(p.BundleJson);
            result.IsSuccess.Should().BeTrue(result.Failure?.OperationOutcomeJson);
            result.Content!.Subjects.Should().Equal(p.Pseudonym);
            result.Content.CountsByType["Observation"].Should().Be(288 + p.Summary.Meals + 1);
        }
    }

    [Fact]
    public void Glucose_in_mg_per_dl_uses_the_mass_loinc_code_and_reads_back()
    {
        var p = SyntheticPatients.GeneratePatient(Request with { GlucoseUnit = "mg/dL" }, 0);
        p.BundleJson.Should().Contain("\"code\":\"2339-0\"").And.Contain("\"code\":\"mg/dL\"").And.NotContain("15074-8");
        DatasetBundleReader.Read(p.BundleJson).IsSuccess.Should().BeTrue();
        p.Summary.MeanGlucose.Should().BeInRange(54, 270); // mg/dL, not mmol/L
    }

    [Fact]
    public void The_patient_has_no_name_only_a_synthetic_identifier_gender_and_birth_year()
    {
        var bundle = JsonNode.Parse(TestBundles.SmallCohort.Patients[0].BundleJson)!;
        var patient = bundle["entry"]![0]!["resource"]!.AsObject();
        patient["resourceType"]!.GetValue<string>().Should().Be("Patient");
        patient.Select(kv => kv.Key).Should().BeEquivalentTo("resourceType", "id", "meta", "identifier", "gender", "birthDate");
        patient["birthDate"]!.GetValue<string>().Should().MatchRegex("^[0-9]{4}$");
        patient["identifier"]![0]!["system"]!.GetValue<string>().Should().Be("urn:dthgrains:synthetic-patient");
        patient["meta"]!["security"]![0]!["code"]!.GetValue<string>().Should().Be("HTEST");
    }

    [Fact]
    public void Codes_and_units_are_the_standard_ones()
    {
        string json = TestBundles.SmallCohort.Patients[0].BundleJson;
        json.Should().Contain("\"system\":\"http://loinc.org\",\"code\":\"15074-8\"")
            .And.Contain("\"system\":\"http://loinc.org\",\"code\":\"9059-7\"")
            .And.Contain("\"unit\":\"U\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"[iU]\"")
            .And.Contain("\"unit\":\"U/h\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"[iU]/h\"")
            .And.Contain("\"unit\":\"mmol/L\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mmol/L\"")
            .And.Contain("\"effectivePeriod\"").And.Contain("\"rateQuantity\"").And.Contain("\"dose\"");
    }

    [Fact]
    public void Bad_requests_are_refused()
    {
        FluentActions.Invoking(() => SyntheticPatients.Generate(Request with { Model = "windkessel" })).Should().Throw<ArgumentException>().WithMessage("*hovorka*");
        FluentActions.Invoking(() => SyntheticPatients.Generate(Request with { Patients = 0 })).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => SyntheticPatients.Generate(Request with { Days = 61 })).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => SyntheticPatients.Generate(Request with { GlucoseUnit = "g/L" })).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => SyntheticPatients.GeneratePatient(Request, 2)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
