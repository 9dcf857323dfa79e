using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace DthGrains.Fhir.Outcomes;

/// <summary>
/// Builds and reads FHIR R4 OperationOutcome JSON for the FHIR routes. The outcome is built as an Hl7.Fhir POCO and
/// serialised with the cached strict options, so what leaves is valid FHIR; callers only see strings and records.
/// </summary>
public static class OperationOutcomes
{
    /// <summary>Most issues listed in one outcome; a bundle of 50,000 bad entries must not produce a 50 MB answer.</summary>
    public const int MaxIssues = 100;

    /// <summary>An OperationOutcome with one issue.</summary>
    public static string Build(OutcomeSeverity severity, string code, string diagnostics, string? expression = null) =>
        Build([new OutcomeIssue(severity, code, diagnostics, expression)]);

    /// <summary>
    /// An OperationOutcome with the given issues (at most <see cref="MaxIssues"/>; the rest are summarised in one
    /// informational issue). An unknown issue-type code is a programming error and throws.
    /// </summary>
    public static string Build(IEnumerable<OutcomeIssue> issues)
    {
        ArgumentNullException.ThrowIfNull(issues);
        var outcome = new OperationOutcome();
        int omitted = 0;
        foreach (var issue in issues)
        {
            if (outcome.Issue.Count >= MaxIssues) { omitted++; continue; }
            outcome.Issue.Add(ToPoco(issue));
        }
        if (omitted > 0)
            outcome.Issue.Add(ToPoco(new OutcomeIssue(OutcomeSeverity.Information, IssueCodes.Informational, $"{omitted} more issue(s) not listed.")));
        if (outcome.Issue.Count == 0)
            outcome.Issue.Add(ToPoco(new OutcomeIssue(OutcomeSeverity.Information, IssueCodes.Informational, "All OK.")));
        return JsonSerializer.Serialize(outcome, FhirJson.Options);
    }

    /// <summary>Reads the issues of an OperationOutcome (strictly: anything else is an error).</summary>
    public static IReadOnlyList<OutcomeIssue> Parse(string json)
    {
        var outcome = FhirJson.Deserializer.Deserialize<OperationOutcome>(json);
        return outcome.Issue.Select(i => new OutcomeIssue(
            FromSeverity(i.Severity),
            i.Code is { } code ? EnumUtility.GetLiteral(code) : IssueCodes.Processing,
            i.Diagnostics ?? i.Details?.Text ?? "",
            i.Expression.FirstOrDefault())).ToList();
    }

    /// <summary>Converts an Hl7 severity (internal: the Hl7 types stay inside this project).</summary>
    internal static OutcomeSeverity FromSeverity(OperationOutcome.IssueSeverity? severity) => severity switch
    {
        OperationOutcome.IssueSeverity.Fatal => OutcomeSeverity.Fatal,
        OperationOutcome.IssueSeverity.Warning => OutcomeSeverity.Warning,
        OperationOutcome.IssueSeverity.Information => OutcomeSeverity.Information,
        _ => OutcomeSeverity.Error,
    };

    private static OperationOutcome.IssueComponent ToPoco(OutcomeIssue issue)
    {
        var type = EnumUtility.ParseLiteral<OperationOutcome.IssueType>(issue.Code)
            ?? throw new ArgumentException($"'{issue.Code}' is not a FHIR issue-type code.", nameof(issue));
        var component = new OperationOutcome.IssueComponent
        {
            Severity = issue.Severity switch
            {
                OutcomeSeverity.Fatal => OperationOutcome.IssueSeverity.Fatal,
                OutcomeSeverity.Warning => OperationOutcome.IssueSeverity.Warning,
                OutcomeSeverity.Information => OperationOutcome.IssueSeverity.Information,
                _ => OperationOutcome.IssueSeverity.Error,
            },
            Code = type,
            Diagnostics = string.IsNullOrWhiteSpace(issue.Diagnostics) ? null : issue.Diagnostics,
        };
        if (!string.IsNullOrEmpty(issue.Expression)) component.Expression = [issue.Expression];
        return component;
    }
}
