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
            return (null, new Problem(ProblemKind.UnsupportedMediaType, "Unsupported content type", "Send the body as JSON with 'Content-Type: application/json'."));
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, JsonDefaults.Options, request.HttpContext.RequestAborted);
            if (value is null) return (null, Problem.Invalid("body", "A JSON object is required."));
            if (NullIn(value) is { } nullMember) return (null, nullMember);
            HttpCommandContext.RememberBody(request.HttpContext, () => JsonSerializer.SerializeToUtf8Bytes(value, JsonDefaults.Options));
            return (value, null);
        }
        catch (JsonException ex)
        {
            var path = MissingMember(ex) ?? (string.IsNullOrEmpty(ex.Path) ? "body" : ex.Path);
            return (null, Problem.Invalid(path, Explain(ex, path, typeof(T))));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, new Problem(ProblemKind.PayloadTooLarge, "Request body too large", "The body exceeds the size this route accepts."));
        }
    }

    /// <summary>Reads the body as a JSON document (for schema validation before binding); same errors as <see cref="ReadAsync{T}"/>.</summary>
    public static async Task<(JsonDocument? Document, Problem? Problem)> ReadDocumentAsync(HttpRequest request)
    {
        if (!request.HasJsonContentType())
            return (null, new Problem(ProblemKind.UnsupportedMediaType, "Unsupported content type", "Send the body as JSON with 'Content-Type: application/json'."));
        try
        {
            var document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 32 }, request.HttpContext.RequestAborted);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return (null, Problem.Invalid("body", "A JSON object is required."));
            // The document keeps its strings undecoded: one the schema validator or the store could not take is refused here.
            if (StorableText.FirstUnstorable(document.RootElement) is { } bad)
            {
                document.Dispose();
                return (null, Problem.Invalid(bad.Path, $"'{bad.Path}' {bad.Why}."));
            }
            HttpCommandContext.RememberBody(request.HttpContext, () => System.Text.Encoding.UTF8.GetBytes(document.RootElement.GetRawText()));
            return (document, null);
        }
        catch (JsonException ex)
        {
            return (null, Problem.Invalid(string.IsNullOrEmpty(ex.Path) ? "body" : ex.Path, ex.Message.Contains("depth", StringComparison.Ordinal)
                ? "The JSON is nested too deeply (at most 32 levels)." : "The body is not valid JSON."));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, new Problem(ProblemKind.PayloadTooLarge, "Request body too large", "The body exceeds the size this route accepts."));
        }
    }

    /// <summary>Binds an already-validated element to <typeparamref name="T"/> with the API's strict options.</summary>
    public static (T? Value, Problem? Problem) Bind<T>(JsonElement element) where T : class
    {
        try
        {
            var value = element.Deserialize<T>(JsonDefaults.Options);
            if (value is null) return (null, Problem.Invalid("body", "A JSON object is required."));
            return NullIn(value) is { } nullMember ? (null, nullMember) : (value, null);
        }
        catch (JsonException ex)
        {
            var path = MissingMember(ex) ?? (string.IsNullOrEmpty(ex.Path) ? "body" : ex.Path);
            return (null, Problem.Invalid(path, Explain(ex, path, typeof(T))));
        }
    }

    private const string MissingRequired = "missing required properties including: ";

    /// <summary>
    /// The first member a body left out although its command requires it (<see cref="System.Text.Json.Serialization.JsonRequiredAttribute"/>), as a JSON path: System.Text.Json says
    /// "JSON deserialization for type '…' was missing required properties including: 'approve', 'reason'." (its
    /// path is the object's, and the message names a framework type, so it is never echoed).
    /// </summary>
    private static string? MissingMember(JsonException ex)
    {
        var at = ex.Message.IndexOf(MissingRequired, StringComparison.Ordinal);
        if (at < 0) return null;
        var name = ex.Message[(at + MissingRequired.Length)..].Split(',')[0].Trim().Trim('.', '\'');
        var owner = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
        return name.Length == 0 ? null : $"{owner}.{name}";
    }

    private static Problem? NullIn(object value) =>
        NullElements.FirstNull(value) is { } path ? Problem.Invalid(path, $"'{path}' must not be null: give a value, or leave the element out.") : null;

    private static string Explain(JsonException ex, string path, Type bodyType)
    {
        var message = ex.Message;
        if (MissingMember(ex) is { } missing)
            return $"'{missing}' is required: add it{(MemberType(bodyType, missing) is { } expected ? $" ({Describe(expected)})" : "")}.";
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
            return $"'{path}' is not a member of this request; remove it (unknown members are rejected).";
        if (message.StartsWith(StorableText.NulMessage, StringComparison.Ordinal))
            return $"'{path}' {StorableText.NulMessage}.";
        if (message.StartsWith(StorableText.InvalidTextMessage, StringComparison.Ordinal))
            return $"'{path}' {StorableText.InvalidTextMessage}.";
        if (message.StartsWith(FiniteNumbers.Message, StringComparison.Ordinal))
            return $"'{path}' {FiniteNumbers.Message}.";
        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
            return "The JSON is nested too deeply (at most 32 levels).";
        if (ex.Path is null || ex.LineNumber is null)
            return "The body is not valid JSON.";
        // Never echo the framework's message: it names internal types. Say what the member expects instead.
        return MemberType(bodyType, path) is { } type
            ? $"'{path}' must be {Describe(type)}."
            : $"'{path}' has a value of the wrong type, or the JSON is malformed there.";
    }

    /// <summary>The declared type at a simple JSON path such as <c>$.type</c> or <c>$.details.country</c>.</summary>
    private static Type? MemberType(Type root, string path)
    {
        var type = root;
        foreach (var segment in path.TrimStart('$').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment.Split('[')[0];
            var property = type.GetProperties().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
            if (property is null) return null;
            type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (segment.Contains('[') && type.IsArray) type = type.GetElementType()!;
        }
        return type;
    }

    private static string Describe(Type type)
    {
        if (type.IsEnum)
            return "one of " + string.Join(", ", Enum.GetValues(type).Cast<object>().Select(v => JsonSerializer.Serialize(v, type, JsonDefaults.Options)));
        if (type == typeof(string)) return "a string";
        if (type == typeof(DateOnly)) return "a date like \"2026-11-25\"";
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime)) return "a date and time like \"2026-11-25T10:00:00Z\"";
        if (type == typeof(bool)) return "true or false";
        if (type.IsPrimitive || type == typeof(decimal)) return "a number";
        if (type.IsArray || (type.IsGenericType && typeof(System.Collections.IEnumerable).IsAssignableFrom(type))) return "an array";
        return "an object";
    }
}
