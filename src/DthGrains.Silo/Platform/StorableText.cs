using System.Text.Json;
using System.Text.Json.Serialization;
using DthGrains.Contracts.Platform;
using DthGrains.Silo.Catalogue;

namespace DthGrains.Silo.Platform;

/// <summary>
/// Text the platform can store. PostgreSQL refuses the NUL character in text and in jsonb (22021, 22P05), so a NUL that
/// reached a query or an append would be a 500 for a caller's mistake, and, through a pooled connection, could fail the
/// next caller too. It is refused at the edge instead: in query strings and paths by <see cref="RefuseNulInUrls"/>, in
/// JSON bodies by <see cref="Converter"/> (STJ already refuses unpaired surrogates, the other text PostgreSQL cannot
/// store). FHIR bodies are parsed by the FHIR library, whose string rule has no control characters either.
/// </summary>
public static class StorableText
{
    public const string NulMessage = "must not contain the NUL character (\\u0000 or %00)";

    public const string InvalidTextMessage = "is not valid text: send UTF-8, with escaped surrogates (\\uD800 to \\uDFFF) only in pairs";

    /// <summary>Refuses a path or query value with a NUL: 400 ProblemDetails (an OperationOutcome on FHIR routes).</summary>
    public static IApplicationBuilder RefuseNulInUrls(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var field = http.Request.Path.Value?.Contains('\0', StringComparison.Ordinal) == true ? "path"
            : http.Request.Query.FirstOrDefault(q => q.Key.Contains('\0', StringComparison.Ordinal) || q.Value.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true)).Key;
        if (field is null)
        {
            await next(http);
            return;
        }
        var name = field.Replace("\0", "%00", StringComparison.Ordinal);
        var problem = Problem.Invalid(name, $"'{name}' {NulMessage}.");
        var answer = FhirResults.IsFhirRoute(http) ? FhirResults.Outcome(problem) : problem.ToProblem();
        await answer.ExecuteAsync(http);
    });

    /// <summary>Reads JSON strings (values and dictionary keys) refusing a NUL; the refusal names the JSON path.</summary>
    public sealed class Converter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Checked(ref reader);

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

        public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Checked(ref reader);

        public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);

        // Nulls never reach Read (HandleNull stays false): a null string member stays null.

        private static string Checked(ref Utf8JsonReader reader)
        {
            string value;
            try
            {
                value = reader.GetString()!;
            }
            catch (InvalidOperationException)
            {
                throw new JsonException(InvalidTextMessage);
            }
            return value.Contains('\0', StringComparison.Ordinal) ? throw new JsonException(NulMessage) : value;
        }
    }

    /// <summary>The JSON path of the first string (value or member name) in <paramref name="element"/> that cannot be stored, with why; null when all can.</summary>
    public static (string Path, string Why)? FirstUnstorable(JsonElement element, string path = "$")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Why(() => element.GetString()!) is { } text ? (path, text) : null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                    if (FirstUnstorable(item, $"{path}[{i++}]") is { } found) return found;
                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (Why(() => property.Name) is { } name)
                        return (path, "has a member whose name " + (name == NulMessage ? "holds the NUL character (\\u0000)" : "is not valid text (UTF-8, surrogates in pairs)"));
                    if (FirstUnstorable(property.Value, $"{path}.{property.Name}") is { } found) return found;
                }
                return null;
            default:
                return null;
        }
    }

    private static string? Why(Func<string> text)
    {
        try
        {
            return text().Contains('\0', StringComparison.Ordinal) ? NulMessage : null;
        }
        catch (InvalidOperationException)
        {
            return InvalidTextMessage;
        }
    }
}
