namespace DthGrains.Fhir.Outcomes;

/// <summary>FHIR JSON media types and the checks the HTTP layer needs on Content-Type and Accept values.</summary>
public static class FhirMediaTypes
{
    /// <summary>The FHIR R4 JSON media type.</summary>
    public const string FhirJson = "application/fhir+json";

    /// <summary>What FHIR routes answer with, including the version parameter.</summary>
    public const string FhirJsonR4 = "application/fhir+json; fhirVersion=4.0";

    /// <summary>
    /// True for <c>application/fhir+json</c> (and the DSTU2-era <c>application/json+fhir</c>), case-insensitive, with any
    /// parameters; false when a <c>fhirVersion</c> parameter names a version other than 4.0.
    /// </summary>
    public static bool IsFhirJson(string? mediaType) =>
        TrySplit(mediaType, out var type, out var version)
        && (type is "application/fhir+json" or "application/json+fhir")
        && IsR4(version);

    /// <summary>
    /// True for FHIR JSON or plain JSON (<c>application/json</c>), which FHIR servers accept too; false for other types or
    /// another FHIR version.
    /// </summary>
    public static bool IsAcceptableJson(string? mediaType) =>
        IsFhirJson(mediaType) || (TrySplit(mediaType, out var type, out var version) && type == "application/json" && IsR4(version));

    private static bool IsR4(string? version) => version is null || version == "4.0" || version.StartsWith("4.0.", StringComparison.Ordinal);

    private static bool TrySplit(string? mediaType, out string type, out string? fhirVersion)
    {
        type = "";
        fhirVersion = null;
        if (string.IsNullOrWhiteSpace(mediaType)) return false;
        var parts = mediaType.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) return false;
        type = parts[0].ToLowerInvariant();
        foreach (var p in parts.Skip(1))
        {
            int eq = p.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && p[..eq].Trim().Equals("fhirVersion", StringComparison.OrdinalIgnoreCase))
                fhirVersion = p[(eq + 1)..].Trim().Trim('"');
        }
        return true;
    }
}
