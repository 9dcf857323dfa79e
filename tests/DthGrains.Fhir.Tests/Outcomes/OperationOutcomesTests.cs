using DthGrains.Fhir.Outcomes;

namespace DthGrains.Fhir.Tests.Outcomes;

public sealed class OperationOutcomesTests
{
    [Fact]
    public void An_outcome_round_trips_through_strict_fhir_json()
    {
        var json = OperationOutcomes.Build(OutcomeSeverity.Error, IssueCodes.NotFound, "Reference 'Patient/x' does not resolve.", "Bundle.entry[3].resource.subject");

        json.Should().StartWith("{\"resourceType\":\"OperationOutcome\"");
        OperationOutcomes.Parse(json).Should().Equal(
            new OutcomeIssue(OutcomeSeverity.Error, IssueCodes.NotFound, "Reference 'Patient/x' does not resolve.", "Bundle.entry[3].resource.subject"));
    }

    [Fact]
    public void Many_issues_are_capped_with_a_summary()
    {
        var issues = Enumerable.Range(0, 250).Select(i => new OutcomeIssue(OutcomeSeverity.Error, IssueCodes.Value, $"bad {i}", $"Bundle.entry[{i}]"));
        var parsed = OperationOutcomes.Parse(OperationOutcomes.Build(issues));
        parsed.Should().HaveCount(OperationOutcomes.MaxIssues + 1);
        parsed[^1].Diagnostics.Should().Contain("150 more");
    }

    [Fact]
    public void An_empty_outcome_still_has_the_one_issue_fhir_requires() =>
        OperationOutcomes.Parse(OperationOutcomes.Build([])).Should().ContainSingle().Which.Severity.Should().Be(OutcomeSeverity.Information);

    [Fact]
    public void Unknown_issue_codes_are_a_programming_error()
    {
        var act = () => OperationOutcomes.Build(OutcomeSeverity.Error, "oops", "x");
        act.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData("application/fhir+json", true, true)]
    [InlineData("Application/FHIR+JSON; charset=utf-8", true, true)]
    [InlineData("application/fhir+json; fhirVersion=4.0", true, true)]
    [InlineData("application/fhir+json; fhirVersion=5.0", false, false)]
    [InlineData("application/json+fhir", true, true)]
    [InlineData("application/json", false, true)]
    [InlineData("application/fhir+xml", false, false)]
    [InlineData("text/plain", false, false)]
    [InlineData("", false, false)]
    [InlineData(null, false, false)]
    public void Media_types(string? mediaType, bool fhirJson, bool acceptable)
    {
        FhirMediaTypes.IsFhirJson(mediaType).Should().Be(fhirJson);
        FhirMediaTypes.IsAcceptableJson(mediaType).Should().Be(acceptable);
    }
}
