using System.Text.Json;
using Hl7.Fhir.Serialization;

namespace DthGrains.Fhir;

/// <summary>
/// The one place that holds Hl7.Fhir serialisation state. Building FHIR options walks the whole R4 model by reflection,
/// so each format gets one cached instance (allocating options per call is a known anti-pattern). Both are strict:
/// an unknown element, a bad code or a malformed literal fails the whole resource.
/// </summary>
internal static class FhirJson
{
    /// <summary>Serialises POCOs to canonical FHIR JSON (compact, element order of the specification).</summary>
    public static readonly JsonSerializerOptions Options = new JsonSerializerOptions().ForFhir();

    /// <summary>Strict deserialiser (the obsolete FhirJsonParser is not used).</summary>
    public static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings());

    public static string Serialize(Hl7.Fhir.Model.Resource resource) => JsonSerializer.Serialize(resource, Options);
}
