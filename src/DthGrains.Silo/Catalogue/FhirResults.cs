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

    /// <summary>
    /// The routes that answer in FHIR: a dataset's payload, a dataset version uploaded as a Bundle, and the FHIR exports
    /// (lineage, twins). Their errors are OperationOutcomes whoever writes them (the route, authentication, authorisation,
    /// the rate limiter, the outage handler: <see cref="FhirProblemWriter"/>).
    /// </summary>
    public static bool IsFhirRoute(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        return path.EndsWith("/fhir", StringComparison.Ordinal)
               || (path.StartsWith("/api/catalogue/resources/", StringComparison.Ordinal)
                   && (path.EndsWith("/payload", StringComparison.Ordinal)
                       || (path.EndsWith("/versions", StringComparison.Ordinal) && FhirMediaTypes.IsFhirJson(http.Request.ContentType))));
    }

    /// <summary>The FHIR issue type of a problem of this kind.</summary>
    public static string CodeFor(ProblemKind kind) => kind switch
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

/// <summary>
/// Writes the ProblemDetails of a FHIR route as an OperationOutcome (application/fhir+json): registered before the
/// default writer, so every answer that goes through the problem details service (401, 403, 429, 503 included) takes it.
/// </summary>
public sealed class FhirProblemWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => FhirResults.IsFhirRoute(context.HttpContext);

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var details = context.ProblemDetails;
        var status = details.Status ?? context.HttpContext.Response.StatusCode;
        var field = details is Microsoft.AspNetCore.Http.HttpValidationProblemDetails v ? v.Errors.Keys.FirstOrDefault() : null;
        context.HttpContext.Response.StatusCode = status;
        context.HttpContext.Response.ContentType = FhirMediaTypes.FhirJson;
        var json = OperationOutcomes.Build(OutcomeSeverity.Error, CodeFor(status), details.Detail ?? details.Title ?? "The request failed.", field);
        await context.HttpContext.Response.WriteAsync(json, context.HttpContext.RequestAborted);
    }

    private static string CodeFor(int status) => status switch
    {
        401 => "login",
        429 => "throttled",
        500 => "exception",
        _ => FhirResults.CodeFor(Enum.IsDefined(typeof(ProblemKind), status) ? (ProblemKind)status : ProblemKind.Validation),
    };
}
