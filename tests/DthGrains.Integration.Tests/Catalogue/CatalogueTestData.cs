using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DthGrains.Integration.Tests.Catalogue;

/// <summary>Valid catalogue documents to start from; tests edit them to make them invalid.</summary>
public static class CatalogueTestData
{
    public static JsonObject ModelMetadata(string title = "Test glucose model", string[]? keywords = null) => new()
    {
        ["title"] = title,
        ["description"] = "A model used by the catalogue tests.",
        ["keywords"] = new JsonArray((keywords ?? ["glucose"]).Select(k => (JsonNode?)k).ToArray()),
        ["themes"] = new JsonArray("HEAL"),
        ["healthCategories"] = new JsonArray("metabolic"),
        ["codingSystems"] = new JsonArray("LOINC"),
        ["contactPoint"] = new JsonObject { ["name"] = "Desk", ["email"] = "desk@example.org" },
        ["licence"] = "Apache-2.0",
        ["accessRights"] = "public",
        ["applicableLegislation"] = new JsonArray(),
        ["conformsTo"] = new JsonArray("SBML"),
    };

    public static JsonObject RestrictedDatasetMetadata(string title = "Test cohort") => new()
    {
        ["title"] = title,
        ["description"] = "A restricted dataset used by the catalogue tests.",
        ["keywords"] = new JsonArray("cohort"),
        ["themes"] = new JsonArray("HEAL"),
        ["healthCategories"] = new JsonArray("metabolic"),
        ["codingSystems"] = new JsonArray("LOINC"),
        ["contactPoint"] = new JsonObject { ["name"] = "Steward", ["email"] = "steward@example.org" },
        ["licence"] = "CC-BY-4.0",
        ["accessRights"] = "restricted",
        ["applicableLegislation"] = new JsonArray("EHDS", "GDPR"),
        ["conformsTo"] = new JsonArray("http://hl7.org/fhir/R4"),
        ["population"] = new JsonObject { ["uniqueIndividuals"] = 2, ["minTypicalAge"] = 18, ["maxTypicalAge"] = 80 },
        ["provenanceStatement"] = "Made up for tests.",
        ["healthDataAccessBody"] = new JsonObject { ["name"] = "HDAB", ["contactEmail"] = "hdab@example.org" },
    };

    public static StringContent Draft(string id, string kind, JsonObject metadata) =>
        new(new JsonObject { ["id"] = id, ["kind"] = kind, ["metadata"] = metadata }.ToJsonString(), Encoding.UTF8, "application/json");

    public static StringContent AsJson(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    /// <summary>A small valid transaction Bundle: two patients, one glucose observation each.</summary>
    public static string Bundle(params string[] patients)
    {
        var entries = new JsonArray();
        foreach (var p in patients)
        {
            entries.Add(new JsonObject
            {
                ["fullUrl"] = $"urn:uuid:{Guid.NewGuid()}",
                ["resource"] = new JsonObject { ["resourceType"] = "Patient", ["id"] = p, ["gender"] = "female" },
                ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = $"Patient/{p}" },
            });
            entries.Add(new JsonObject
            {
                ["fullUrl"] = $"urn:uuid:{Guid.NewGuid()}",
                ["resource"] = new JsonObject
                {
                    ["resourceType"] = "Observation",
                    ["status"] = "final",
                    ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "15074-8" }) },
                    ["subject"] = new JsonObject { ["reference"] = $"Patient/{p}" },
                    ["effectiveDateTime"] = "2024-01-01T08:00:00Z",
                    ["valueQuantity"] = new JsonObject { ["value"] = 6.1, ["unit"] = "mmol/L", ["system"] = "http://unitsofmeasure.org", ["code"] = "mmol/L" },
                },
                ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Observation" },
            });
        }
        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction", ["entry"] = entries }.ToJsonString();
    }

    public static StringContent AsFhir(string json) => new(json, Encoding.UTF8, "application/fhir+json");

    public static async Task<JsonElement> JsonOf(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();
}
