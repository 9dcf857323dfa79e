using System.Text.Json;
using DthGrains.Contracts.Platform;

namespace DthGrains.Silo.Platform;

/// <summary>
/// Reads a JSON request body with the API's strict options and turns every way it can be wrong into a 400
/// naming the JSON path (malformed, unknown member, wrong type), or a 413/415, instead of a bare status.
/// </summary>
public static class JsonBody
{
    public static async Task<(T? Value, Problem? Problem)> ReadAsync<T>(HttpRequest request) where T : class
    {
        if (!request.HasJsonContentType())
            return (null, new Problem(ProblemKind.Validation, "Unsupported content type", "Send the body as JSON with 'Content-Type: application/json'."));
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, JsonDefaults.Options, request.HttpContext.RequestAborted);
            return value is null ? (null, Problem.Invalid("body", "A JSON object is required.")) : (value, null);
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) ? "body" : ex.Path;
            return (null, Problem.Invalid(path, Explain(ex, path)));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, new Problem((ProblemKind)413, "Request body too large", "The body exceeds the size this route accepts."));
        }
    }

    private static string Explain(JsonException ex, string path)
    {
        var message = ex.Message;
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
            return $"'{path}' is not a member of this request; remove it (unknown members are rejected).";
        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
            return "The JSON is nested too deeply (at most 32 levels).";
        // The framework's message names the path and the expected type; strip its internal type names.
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return $"'{path}' could not be read: {(cut > 0 ? message[..cut] : message)}";
    }
}
