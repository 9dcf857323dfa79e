using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Integration.Tests.Infrastructure;
using Json.Schema;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>schemas/models/external-model.schema.json: the example descriptor meets it, and what the loader refuses it refuses too.</summary>
public sealed class ExternalModelSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromFile(Path.Combine(Repository.Root(), "schemas", "models", "external-model.schema.json"));

    private static JsonNode Parse(string text) =>
        JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;

    private static JsonElement Element(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement;

    private static JsonNode Example() =>
        Parse(File.ReadAllText(Path.Combine(Repository.Root(), "silo-config", "external-models", "one-compartment", "one-compartment.model.json")));

    [Fact]
    public void The_example_descriptor_meets_the_schema_and_loads()
    {
        var result = Schema.Evaluate(Element(Example()), new EvaluationOptions { OutputFormat = OutputFormat.List });
        result.IsValid.Should().BeTrue(string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
        Simulation.Models.External.ExternalModel.Load(Path.Combine(Repository.Root(), "silo-config", "external-models", "one-compartment", "one-compartment.model.json"))
            .Info.Id.Should().Be(Example()["id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("id", "\"Has Spaces\"")]
    [InlineData("timeUnit", "\"mmol\"")]
    [InlineData("versoin", "\"1.0.0\"")]
    [InlineData("outputs", "[]")]
    public void A_descriptor_the_loader_refuses_the_schema_refuses(string field, string value)
    {
        var descriptor = Example().AsObject();
        descriptor[field] = JsonNode.Parse(value);
        Schema.Evaluate(Element(descriptor)).IsValid.Should().BeFalse();
        var file = Path.Combine(Directory.CreateDirectory(TestPostgres.NewTemporaryFolder("descriptor")).FullName, "bad.json");
        File.WriteAllText(file, descriptor.ToJsonString());
        var load = () => Simulation.Models.External.ExternalModel.Load(file);
        load.Should().Throw<InvalidDataException>();
    }
}
