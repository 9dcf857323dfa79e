using DthGrains.Contracts.Platform;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DthGrains.Silo.Platform;

/// <summary>Turns grain outcomes into HTTP answers: RFC 9457 ProblemDetails for problems, the stream version as ETag.</summary>
public static class ApiResults
{
    public static ProblemHttpResult ToProblem(this Problem problem, HttpContext? http = null)
    {
        var details = problem.Errors is { Count: > 0 }
            ? new ValidationProblemDetails(problem.Errors.ToDictionary(e => e.Key, e => e.Value)) { Title = problem.Title, Detail = problem.Detail, Status = (int)problem.Kind }
            : new ProblemDetails { Title = problem.Title, Detail = problem.Detail, Status = (int)problem.Kind };
        details.Type = $"https://dthgrains.eu/problems/{problem.Kind.ToString().ToLowerInvariant()}";
        if (problem.CurrentVersion is { } v)
        {
            details.Extensions["currentVersion"] = v;
            http?.Response.Headers.ETag = ETag(v);
        }
        return TypedResults.Problem(details);
    }

    public static string ETag(long version) => $"\"{version}\"";

    /// <summary>Reads <c>If-Match: "n"</c>. Null when absent; a problem when present but not a version.</summary>
    public static (long? Version, Problem? Problem) IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(header)) return (null, null);
        var text = header.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal)) text = text[2..];
        text = text.Trim('"');
        return long.TryParse(text, out var v) && v >= 0
            ? (v, null)
            : (null, Problem.Invalid("If-Match", "If-Match must be the ETag of the resource, for example \"3\"."));
    }

    /// <summary>The answer to a successful read or write: the value, with its version as ETag.</summary>
    public static IResult Ok<T>(HttpContext http, Outcome<T> outcome, int status = StatusCodes.Status200OK, string? location = null)
    {
        if (outcome.Problem is not null) return outcome.Problem.ToProblem(http);
        http.Response.Headers.ETag = ETag(outcome.Version);
        return status == StatusCodes.Status201Created && location is not null
            ? TypedResults.Created(location, outcome.Value)
            : TypedResults.Json(outcome.Value, JsonDefaults.Options, statusCode: status);
    }

    public static ProblemHttpResult InvalidId(string field) =>
        Problem.Invalid(field, $"'{field}' is not a valid id: {Ids.Rule}.").ToProblem();
}
