using System.Text.Json.Nodes;
using DthGrains.Fhir.Datasets;
using DthGrains.Fhir.Outcomes;
using static DthGrains.Fhir.Tests.TestBundles;

namespace DthGrains.Fhir.Tests.Datasets;

public sealed class DatasetBundleReaderTests
{
    private static DatasetBundleResult Read(string json) => DatasetBundleReader.Read(Stream(json), DatasetBundleLimits.Default);

    private static DatasetBundleFailure Refused(DatasetBundleResult result, int status)
    {
        result.IsSuccess.Should().BeFalse();
        result.Content.Should().BeNull("an upload is all or nothing");
        result.Failure!.StatusCode.Should().Be(status, result.Failure.OperationOutcomeJson);
        // The outcome sent to the client is valid FHIR and says the same as the issues.
        OperationOutcomes.Parse(result.Failure.OperationOutcomeJson).Should().BeEquivalentTo(result.Failure.Issues);
        return result.Failure;
    }

    [Fact]
    public void A_synthetic_bundle_reads_with_counts_subjects_and_checksum()
    {
        var patient = SmallCohort.Patients[0];
        var result = Read(patient.BundleJson);

        result.IsSuccess.Should().BeTrue(result.Failure?.OperationOutcomeJson);
        var content = result.Content!;
        content.BundleType.Should().Be("transaction");
        content.Subjects.Should().Equal("synth-00001");
        content.CountsByType.Should().BeEquivalentTo(new Dictionary<string, int>
        {
            ["Patient"] = 1, ["Condition"] = 1, ["Observation"] = 288 + 3 + 1, ["MedicationAdministration"] = 1 + 3,
        });
        content.Count.Should().Be(patient.Summary.Entries);
        content.Resources.Should().OnlyContain(r => r.SubjectPseudonym == "synth-00001");
        content.Checksum.Should().MatchRegex("^[0-9a-f]{64}$");
        // POSTed entries got the UUID of their urn:uuid fullUrl as id, and the canonical JSON carries it.
        var observation = content.Resources.First(r => r.ResourceType == "Observation");
        observation.Id.Should().MatchRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
        observation.Json.Should().Contain($"\"id\":\"{observation.Id}\"").And.Contain("\"reference\":\"Patient/synth-00001\"");
    }

    [Fact]
    public void The_checksum_is_over_content_not_entry_order_and_changes_with_content()
    {
        var json = SmallCohort.Patients[0].BundleJson;
        var bundle = JsonNode.Parse(json)!.AsObject();
        var reversed = bundle.DeepClone().AsObject();
        var entries = reversed["entry"]!.AsArray().Select(e => e!.DeepClone()).Reverse().ToArray();
        reversed["entry"] = new JsonArray(entries);
        var changed = bundle.DeepClone().AsObject();
        changed["entry"]![5]!["resource"]!["valueQuantity"]!["value"] = 12.3;

        string a = Read(json).Content!.Checksum;
        Read(json).Content!.Checksum.Should().Be(a);
        Read(reversed.ToJsonString()).Content!.Checksum.Should().Be(a);
        Read(changed.ToJsonString()).Content!.Checksum.Should().NotBe(a);
    }

    [Fact]
    public void Truncated_json_is_400_with_an_operation_outcome()
    {
        var json = SmallCohort.Patients[0].BundleJson;
        var failure = Refused(Read(json[..(json.Length / 2)]), 400);
        failure.Issues.Should().ContainSingle().Which.Should().Match<OutcomeIssue>(i =>
            i.Severity == OutcomeSeverity.Error && i.Code == IssueCodes.Structure && i.Expression == "Bundle");
        failure.OperationOutcomeJson.Should().StartWith("{\"resourceType\":\"OperationOutcome\"");
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("\"Bundle\"")]
    [InlineData("{\"resourceType\":\"Bundle\",\"type\":\"collection\"} {}")]
    [InlineData("{\"resourceType\":\"Bundle\",\"type\":\"collection\",}")]
    [InlineData("{\"type\":\"collection\"}")]
    public void Unreadable_bodies_are_400(string body) => Refused(Read(body), 400);

    [Theory]
    [InlineData("\\u0000", "NUL")]
    [InlineData("a\\u0000b", "NUL")]
    [InlineData("\\ud800", "surrogate")]
    [InlineData("\\udc00x", "surrogate")]
    public void A_string_that_cannot_be_stored_is_400_at_its_byte(string escaped, string named)
    {
        // Far into a real bundle (past the scanner's first 64 KB chunk): the position counts from the body's start.
        var json = SmallCohort.Patients[0].BundleJson;
        int at = json.LastIndexOf("\"final\"", StringComparison.Ordinal);
        at.Should().BeGreaterThan(64 * 1024);
        json = json[..at] + $"\"{escaped}\"" + json[(at + "\"final\"".Length)..];

        var issue = Refused(Read(json), 400).Issues.Should().ContainSingle().Subject;
        issue.Diagnostics.Should().Contain(named).And.Contain($"at byte {at + 1:N0}");
    }

    [Fact]
    public void A_string_of_invalid_utf8_is_400_and_valid_non_ascii_text_is_taken()
    {
        var json = Bundle("collection", Entry(Patient("p1"))).ToJsonString().Replace("\"p1\"", "\"p1\",\"language\":\"LANG\"", StringComparison.Ordinal);
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        int at = json.IndexOf("LANG", StringComparison.Ordinal);
        bytes[at] = 0xFF;
        var failure = Refused(DatasetBundleReader.Read(new MemoryStream(bytes), DatasetBundleLimits.Default), 400);
        failure.Issues.Single().Diagnostics.Should().Contain("not valid UTF-8");

        // Text beyond ASCII, and an escaped surrogate pair, are fine.
        var named = Patient("p1");
        named["name"] = new JsonArray(new JsonObject { ["family"] = "Müller-Łukasiewicz \ud83d\ude00" });
        Read(Bundle("collection", Entry(named)).ToJsonString()).IsSuccess.Should().BeTrue();
        Read(Bundle("collection", Entry(Patient("p1"))).ToJsonString().Replace("\"p1\"", "\"p1\",\"name\":[{\"family\":\"\\ud83d\\ude00\"}]", StringComparison.Ordinal))
            .IsSuccess.Should().BeTrue();
    }

    [Fact]
    public void A_wrong_resource_type_at_the_root_is_400()
    {
        var failure = Refused(Read(Patient("p1").ToJsonString()), 400);
        failure.Issues.Single().Diagnostics.Should().Contain("Bundle").And.Contain("Patient");
    }

    [Fact]
    public void An_unresolved_reference_is_422_naming_the_element()
    {
        var json = Bundle("collection",
            Entry(Patient("p1")),
            Entry(Glucose("Patient/p1", "2024-01-01T08:00:00Z", 6.1), ObservationUuid),
            Entry(Glucose("Patient/p2", "2024-01-01T08:05:00Z", 6.2), "urn:uuid:1b7d4c2e-8e1f-4a5b-9c6d-7e8f9a0b1c2d")).ToJsonString();

        var issue = Refused(Read(json), 422).Issues.Should().ContainSingle().Subject;
        issue.Code.Should().Be(IssueCodes.NotFound);
        issue.Expression.Should().Be("Bundle.entry[2].resource.subject");
        issue.Diagnostics.Should().Contain("Patient/p2");
    }

    [Fact]
    public void An_unresolved_urn_uuid_reference_is_422()
    {
        var json = Bundle("transaction",
            Entry(Patient("p1"), PatientUuid, "PUT", "Patient/p1"),
            Entry(Glucose("urn:uuid:00000000-0000-4000-8000-000000000000", "2024-01-01T08:00:00Z", 6.1), ObservationUuid, "POST", "Observation")).ToJsonString();
        Refused(Read(json), 422).Issues.Single().Expression.Should().Be("Bundle.entry[1].resource.subject");
    }

    [Fact]
    public void Urn_uuid_references_resolve_and_are_rewritten_to_type_and_id()
    {
        var patient = new JsonObject { ["resourceType"] = "Patient", ["gender"] = "male" };
        var json = Bundle("transaction",
            Entry(patient, PatientUuid, "POST", "Patient"),
            Entry(Glucose(PatientUuid, "2024-01-01T08:00:00Z", 6.1), ObservationUuid, "POST", "Observation")).ToJsonString();

        var content = Read(json).Content!;
        string patientId = PatientUuid["urn:uuid:".Length..];
        content.Subjects.Should().Equal(patientId);
        var observation = content.Resources.Single(r => r.ResourceType == "Observation");
        observation.SubjectPseudonym.Should().Be(patientId);
        observation.Json.Should().Contain($"\"reference\":\"Patient/{patientId}\"").And.NotContain("urn:uuid");
    }

    [Fact]
    public void One_bad_entry_in_a_transaction_is_422_and_yields_no_content()
    {
        var bad = Glucose("Patient/p1", "2024-01-01T08:10:00Z", 6.3);
        bad["status"] = "not-a-status";
        var json = Bundle("transaction",
            Entry(Patient("p1"), PatientUuid, "PUT", "Patient/p1"),
            Entry(Glucose("Patient/p1", "2024-01-01T08:05:00Z", 6.2), ObservationUuid, "POST", "Observation"),
            Entry(bad, "urn:uuid:2b7d4c2e-8e1f-4a5b-9c6d-7e8f9a0b1c2d", "POST", "Observation")).ToJsonString();

        var issue = Refused(Read(json), 422).Issues.Should().ContainSingle().Subject;
        issue.Expression.Should().Be("Bundle.entry[2].resource.status");
        issue.Code.Should().Be(IssueCodes.CodeInvalid);
    }

    [Fact]
    public void An_unknown_element_in_an_entry_is_422_naming_it()
    {
        var bad = Patient("p1");
        bad["favouriteColour"] = "blue";
        Refused(Read(Bundle("collection", Entry(bad)).ToJsonString()), 422)
            .Issues.Single().Expression.Should().Be("Bundle.entry[0].resource.favouriteColour");
    }

    [Fact]
    public void A_resource_type_outside_the_dataset_set_is_422_naming_the_entry()
    {
        var practitioner = new JsonObject { ["resourceType"] = "Practitioner", ["id"] = "dr1" };
        var issue = Refused(Read(Bundle("collection", Entry(Patient("p1")), Entry(practitioner)).ToJsonString()), 422).Issues.Single();
        issue.Expression.Should().Be("Bundle.entry[1].resource");
        issue.Code.Should().Be(IssueCodes.NotSupported);
        issue.Diagnostics.Should().Contain("Practitioner");
    }

    [Theory]
    [InlineData("batch")]
    [InlineData("searchset")]
    [InlineData("document")]
    public void Other_bundle_types_are_422(string type) =>
        Refused(Read(Bundle(type, Entry(Patient("p1"))).ToJsonString()), 422).Issues.Single().Expression.Should().Be("Bundle.type");

    [Fact]
    public void Transaction_entries_need_a_matching_create_request()
    {
        Refused(Read(Bundle("transaction", Entry(Patient("p1"), PatientUuid)).ToJsonString()), 422)
            .Issues.Single().Expression.Should().Be("Bundle.entry[0].request");
        Refused(Read(Bundle("transaction", Entry(Patient("p1"), PatientUuid, "PUT", "Patient/p2")).ToJsonString()), 422)
            .Issues.Single().Expression.Should().Be("Bundle.entry[0].request.url");
        Refused(Read(Bundle("transaction", Entry(Patient("p1"), PatientUuid, "POST", "Observation")).ToJsonString()), 422)
            .Issues.Single().Expression.Should().Be("Bundle.entry[0].request.url");
        Refused(Read(Bundle("transaction", Entry(Patient("p1"), PatientUuid, "DELETE", "Patient/p1")).ToJsonString()), 422)
            .Issues.Single().Expression.Should().Be("Bundle.entry[0].request.method");
    }

    [Fact]
    public void Duplicate_ids_and_resources_without_identity_are_422()
    {
        Refused(Read(Bundle("collection", Entry(Patient("p1")), Entry(Patient("p1"))).ToJsonString()), 422)
            .Issues.Single().Should().Match<OutcomeIssue>(i => i.Code == IssueCodes.Duplicate && i.Expression == "Bundle.entry[1].resource.id");
        var anonymous = new JsonObject { ["resourceType"] = "Patient", ["gender"] = "male" };
        Refused(Read(Bundle("collection", Entry(anonymous)).ToJsonString()), 422)
            .Issues.Single().Expression.Should().Be("Bundle.entry[0].resource.id");
    }

    [Fact]
    public void A_utf8_byte_order_mark_is_accepted_on_both_kinds_of_stream()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(Bundle("collection", Entry(Patient("p1"))).ToJsonString())];
        DatasetBundleReader.Read(new MemoryStream(body), DatasetBundleLimits.Default).Content!.Subjects.Should().Equal("p1");
        DatasetBundleReader.Read(new ForwardOnlyStream(new MemoryStream(body)), DatasetBundleLimits.Default).Content!.Subjects.Should().Equal("p1");
    }

    [Fact]
    public void An_empty_bundle_is_not_a_dataset()
    {
        Refused(Read("{\"resourceType\":\"Bundle\",\"type\":\"collection\"}"), 422).Issues.Single().Expression.Should().Be("Bundle.entry");
        // An empty array is already invalid FHIR (the strict parser names it).
        Refused(Read(Bundle("collection").ToJsonString()), 422).Issues.Should().OnlyContain(i => i.Expression!.StartsWith("Bundle.entry"));
    }

    [Fact]
    public void A_cancelled_read_throws()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var act = () => DatasetBundleReader.Read(Stream(SmallCohort.Patients[0].BundleJson), DatasetBundleLimits.Default, cts.Token);
        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void A_forward_only_stream_reads_like_a_seekable_one()
    {
        var json = SmallCohort.Patients[1].BundleJson;
        var forward = DatasetBundleReader.Read(new ForwardOnlyStream(Stream(json)), DatasetBundleLimits.Default);
        forward.Content!.Checksum.Should().Be(Read(json).Content!.Checksum);
        forward.Content.Subjects.Should().Equal("synth-00002");
    }
}
