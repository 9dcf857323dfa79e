using System.Text.Json;
using System.Text.Json.Serialization;

namespace DthGrains.Silo.Platform;

/// <summary>
/// One JSON contract for the API: camelCase members, kebab-case enums, unknown members rejected
/// (the one rule against mass assignment: a body may carry only the fields its command names), bounded depth.
/// </summary>
public static class JsonDefaults
{
    public static void Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        // Dictionary keys are data (FHIR resource types, facet values, field paths), never renamed.
        o.DictionaryKeyPolicy = null;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        o.Converters.Add(new StorableText.Converter());
        o.Converters.Add(new FiniteNumbers());
        o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        o.MaxDepth = 32;
        o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
    }

    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(o);
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}
