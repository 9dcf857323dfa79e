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
        var answer = http.Request.Path.Value!.EndsWith("/fhir", StringComparison.Ordinal) ? FhirResults.Outcome(problem) : problem.ToProblem();
        await answer.ExecuteAsync(http);
    });

    /// <summary>Reads JSON strings (values and dictionary keys) refusing a NUL; the refusal names the JSON path.</summary>
    public sealed class Converter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? null : Checked(reader.GetString()!);

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

        public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Checked(reader.GetString()!);

        public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);

        public override bool HandleNull => false;

        private static string Checked(string value) =>
            value.Contains('\0', StringComparison.Ordinal) ? throw new JsonException(NulMessage) : value;
    }
}
