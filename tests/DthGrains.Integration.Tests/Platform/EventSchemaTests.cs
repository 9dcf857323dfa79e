using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using DthGrains.Grains.Platform;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// Every stored event type has a JSON Schema under schemas/events/{name}.schema.json describing its body as
/// stored (camelCase, enums as strings). A change to an event's shape changes its schema: the test fails until
/// the schema is regenerated (run it with DTH_WRITE_EVENT_SCHEMAS=1) and the change is reviewed.
/// </summary>
public sealed class EventSchemaTests
{
    private static readonly JsonSerializerOptions Stored = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    private static string SchemaFolder() => Path.Combine(Repository.Root(), "schemas", "events");

    private static string SchemaOf(Type type, string name)
    {
        var schema = Stored.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true }).AsObject();
        var document = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"https://dthgrains.eu/schemas/events/{name}.schema.json",
            ["title"] = name,
            ["description"] = $"Body of the '{name}' event as stored ({type.FullName}); the envelope is in the event headers.",
        };
        foreach (var (key, value) in schema.ToList())
        {
            schema.Remove(key);
            document[key] = value;
        }
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    public static TheoryData<string> EventNames() => [.. EventTypeRegistry.All.Values.Order()];

    [Theory]
    [MemberData(nameof(EventNames))]
    public void Each_event_type_has_its_current_json_schema(string name)
    {
        var type = EventTypeRegistry.All.Single(p => p.Value == name).Key;
        var path = Path.Combine(SchemaFolder(), $"{name}.schema.json");
        var expected = SchemaOf(type, name);
        if (Environment.GetEnvironmentVariable("DTH_WRITE_EVENT_SCHEMAS") == "1") File.WriteAllText(path, expected);

        File.Exists(path).Should().BeTrue($"schemas/events/{name}.schema.json must exist (regenerate with DTH_WRITE_EVENT_SCHEMAS=1)");
        File.ReadAllText(path).ReplaceLineEndings("\n").Should().Be(expected, "the event's shape changed: regenerate its schema and review the change");
    }

    [Fact]
    public void Event_type_names_are_unique_and_dotted()
    {
        EventTypeRegistry.All.Values.Should().OnlyHaveUniqueItems();
        EventTypeRegistry.All.Values.Should().OnlyContain(n => System.Text.RegularExpressions.Regex.IsMatch(n, "^[a-z]+\\.[a-z_]+$"));
    }
}
