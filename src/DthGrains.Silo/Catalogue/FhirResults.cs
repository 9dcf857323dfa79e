using DthGrains.Contracts.Platform;
using DthGrains.Fhir.Outcomes;

namespace DthGrains.Silo.Catalogue;

/// <summary>Answers on FHIR routes: an OperationOutcome (application/fhir+json) instead of ProblemDetails.</summary>
public static class FhirResults
{
    public static IResult Outcome(Problem problem)
    {
        var json = problem.FhirOperationOutcome ?? OperationOutcomes.Build(OutcomeSeverity.Error, CodeFor(problem.Kind), problem.Detail,
            problem.Errors?.Keys.FirstOrDefault());
        return Results.Text(json, FhirMediaTypes.FhirJson, statusCode: (int)problem.Kind);
    }

    private static string CodeFor(ProblemKind kind) => kind switch
    {
        ProblemKind.NotFound => "not-found",
        ProblemKind.Forbidden => "forbidden",
        ProblemKind.Conflict or ProblemKind.PreconditionFailed => "conflict",
        ProblemKind.Unavailable => "transient",
        ProblemKind.PayloadTooLarge => "too-costly",
        ProblemKind.UnsupportedMediaType => "not-supported",
        _ => IssueCodes.Invalid,
    };
}
