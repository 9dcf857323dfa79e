using DthGrains.Fhir.Outcomes;

namespace DthGrains.Fhir.Datasets;

/// <summary>
/// Why a bundle was refused: the HTTP status to answer with (400 unreadable or not a Bundle, 413 over a limit,
/// 422 semantically invalid), the issues, and the same issues as OperationOutcome JSON ready to send.
/// </summary>
public sealed record DatasetBundleFailure(int StatusCode, IReadOnlyList<OutcomeIssue> Issues, string OperationOutcomeJson);

/// <summary>Either the content of a valid bundle or a failure; never both (an upload is all or nothing).</summary>
public sealed record DatasetBundleResult
{
    private DatasetBundleResult(DatasetContent? content, DatasetBundleFailure? failure) { Content = content; Failure = failure; }

    /// <summary>The content, when the bundle was valid.</summary>
    public DatasetContent? Content { get; }

    /// <summary>The failure, when it was not.</summary>
    public DatasetBundleFailure? Failure { get; }

    /// <summary>True when <see cref="Content"/> is set.</summary>
    public bool IsSuccess => Content is not null;

    /// <summary>200-style success.</summary>
    public static DatasetBundleResult Success(DatasetContent content) => new(content ?? throw new ArgumentNullException(nameof(content)), null);

    /// <summary>A failure with its status and issues.</summary>
    public static DatasetBundleResult Fail(int statusCode, IReadOnlyList<OutcomeIssue> issues) =>
        new(null, new DatasetBundleFailure(statusCode, issues, OperationOutcomes.Build(issues)));

    /// <summary>A failure with one error issue.</summary>
    public static DatasetBundleResult Fail(int statusCode, string code, string diagnostics, string? expression) =>
        Fail(statusCode, [new OutcomeIssue(OutcomeSeverity.Error, code, diagnostics, expression)]);
}
