using System.Text.Json;
using System.Text.Json.Serialization;
using DthGrains.Cli.Catalogue;
using DthGrains.Contracts.Runs;

namespace DthGrains.Cli.Runs;

/// <summary>Run requests and results in the platform's JSON: camelCase, enums in kebab case, nulls left out.</summary>
internal static class RunJson
{
    // Anything the platform does not know is refused, as the platform does (a misspelt member is a mistake, not a default).
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// What the platform wrote (recorded shards, compute sites), read as written: members a later platform adds are no
    /// reason to refuse them, unlike a request's (<see cref="Options"/>).
    /// </summary>
    public static readonly JsonSerializerOptions Recorded = new(JsonSerializerDefaults.Web);

    /// <summary>A run request read from JSON; <paramref name="what"/> names it in the error (a file, "the run's request").</summary>
    public static RunRequest RequestOf(JsonElement request, string what)
    {
        try
        {
            return request.Deserialize<RunRequest>(Options) ?? throw new UsageException($"{what} is empty.");
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{what} is not a run request this CLI can read: {Explain(ex)}");
        }
    }

    /// <summary>The serializer's complaint in a run request's terms: where, and what is wrong there (no .NET type names).</summary>
    private static string Explain(JsonException ex)
    {
        var at = ex.Path is { Length: > 1 } path ? $"'{path}'" : "the request";
        if (ex.Message.Contains("could not be mapped", StringComparison.Ordinal))
            return $"{at} is not a member of a run request (the API reference at /reference lists them).";
        if (ex.Message.Contains("could not be converted", StringComparison.Ordinal))
            return $"{at} has a value of the wrong type or an unknown name (kinds, solver methods and statistics are written in kebab case, e.g. cohort-trial).";
        return $"{at}: {ex.Message.Split(" Path:", 2)[0]}";
    }
}
