using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace DthGrains.Fhir;

/// <summary>FHIR JSON in and out for callers outside this assembly, through the one cached serialiser state.</summary>
public static class FhirText
{
    /// <summary>Canonical FHIR JSON of a resource.</summary>
    public static string Serialize(Resource resource) => FhirJson.Serialize(resource);

    /// <summary>Strict parse: an unknown element, a bad code or a malformed literal throws <see cref="Hl7.Fhir.Serialization.DeserializationFailedException"/>.</summary>
    public static T Parse<T>(string json) where T : Resource => (T)FhirJson.Deserializer.DeserializeResource(json);
}
