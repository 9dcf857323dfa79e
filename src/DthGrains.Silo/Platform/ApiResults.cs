using System.Globalization;
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

    /// <summary>Names the next page of a paged answer (RFC 8288 <c>Link</c>, <c>rel="next"</c>).</summary>
    public static void NextPage(HttpContext http, string href) => http.Response.Headers.Link = $"<{href}>; rel=\"next\"";

    /// <summary>
    /// Reads <c>If-Match</c> as RFC 9110 has it: null when absent or <c>*</c> (any current state); the version of one
    /// strong ETag <c>"n"</c>; 412 for a weak ETag, which never matches If-Match (strong comparison), where it used to
    /// count as the strong one; 400 for anything else, a list included (one ETag names the state the change is for).
    /// </summary>
    public static (long? Version, Problem? Problem) IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(header)) return (null, null);
        var text = header.Trim();
        if (text == "*") return (null, null);
        if (text.StartsWith("W/", StringComparison.Ordinal))
            return (null, new Problem(ProblemKind.PreconditionFailed, "Precondition failed",
                $"A weak ETag ({text}) never matches If-Match (RFC 9110, strong comparison); send the resource's ETag as given, for example \"3\"."));
        return text.Length > 2 && text[0] == '"' && text[^1] == '"'
               && long.TryParse(text.AsSpan(1, text.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? (v, null)
            : (null, Problem.Invalid("If-Match", "If-Match must be the one ETag of the resource, quoted, for example \"3\" (or * for any)."));
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
