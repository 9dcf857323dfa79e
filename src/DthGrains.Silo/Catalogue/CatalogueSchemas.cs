using System.Text.Json;
using System.Text.RegularExpressions;
using DthGrains.Contracts.Platform;
using Json.Schema;

namespace DthGrains.Silo.Catalogue;

/// <summary>
/// Validates catalogue writes against schemas/catalogue/*.schema.json. Every failure is reported under its
/// own JSON pointer; a missing required member is reported at the pointer of the member itself.
/// </summary>
public static partial class CatalogueSchemas
{
    private static readonly Lazy<JsonSchema> Resource = new(() =>
        JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "schemas", "catalogue", "resource.schema.json")));

    [GeneratedRegex("\"([^\"]+)\"")]
    private static partial Regex QuotedNames();

    /// <summary>Validates a draft body <c>{id?, kind, metadata}</c>; null when valid.</summary>
    public static Problem? ValidateDraft(JsonElement body) => Validate(body);

    /// <summary>Validates revised metadata as if drafted with the resource's kind, so kind-specific rules apply too.</summary>
    public static Problem? ValidateMetadata(string kind, JsonElement metadata)
    {
        using var wrapper = JsonDocument.Parse($"{{\"kind\":\"{kind}\",\"metadata\":{metadata.GetRawText()}}}");
        return Validate(wrapper.RootElement);
    }

    private static Problem? Validate(JsonElement instance)
    {
        var result = Resource.Value.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return Consistent(instance);
        var errors = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        // A failing "if" only selects a branch; its failures are not the instance's errors.
        foreach (var detail in (result.Details ?? []).Prepend(result)
                     .Where(d => d.Errors is { Count: > 0 } && !d.EvaluationPath.ToString().Contains("/if", StringComparison.Ordinal)))
        {
            var pointer = detail.InstanceLocation.ToString();
            foreach (var (keyword, message) in detail.Errors!)
            {
                if (keyword == "required")
                {
                    foreach (Match name in QuotedNames().Matches(message))
                        Add(errors, $"{pointer}/{name.Groups[1].Value}", $"'{name.Groups[1].Value}' is required here.");
                }
                else if (keyword is "if" or "then" or "allOf" or "$ref") { }
                else if (keyword == "$false" || message.Contains("false schema", StringComparison.Ordinal))
                    Add(errors, pointer, $"'{pointer[(pointer.LastIndexOf('/') + 1)..]}' is not a member here; remove it (unknown members are rejected).");
                else Add(errors, pointer.Length == 0 ? "/" : pointer, message);
            }
        }
        if (errors.Count == 0) Add(errors, "/", "The document does not match the catalogue schema.");
        return Problem.Invalid($"The catalogue entry does not meet its schema (schemas/catalogue/resource.schema.json): {errors.Count} problem(s); see 'errors', keyed by JSON pointer.",
            errors.ToDictionary(e => e.Key, e => e.Value.Distinct().ToArray()));
    }

    /// <summary>
    /// What the schema cannot say, across members: a population's typical ages run from the minimum to the maximum (a
    /// dataset drafted with 90 to 18 was published as such, and a search by age would never find it).
    /// </summary>
    private static Problem? Consistent(JsonElement instance)
    {
        if (instance.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("population", out var population)
            && population.TryGetProperty("minTypicalAge", out var min) && population.TryGetProperty("maxTypicalAge", out var max)
            && min.GetInt32() > max.GetInt32())
            return Problem.Invalid("The catalogue entry is not consistent: see 'errors', keyed by JSON pointer.", new Dictionary<string, string[]>
            {
                ["/metadata/population/maxTypicalAge"] = [$"'maxTypicalAge' ({max.GetInt32()}) is at least 'minTypicalAge' ({min.GetInt32()})."],
            });
        return null;
    }

    private static void Add(SortedDictionary<string, List<string>> errors, string pointer, string message)
    {
        if (!errors.TryGetValue(pointer, out var list)) errors[pointer] = list = [];
        list.Add(message);
    }
}
