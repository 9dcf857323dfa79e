using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Integration.Tests.Infrastructure;
using Json.Schema;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// schemas/models/external-model.schema.json: the example descriptor meets it, and what the loader refuses it refuses too;
/// external-model-request and -answer.schema.json: what the adapter sends a code meets the first, the example code's
/// answer meets the second, and answers the adapter refuses it refuses.
/// </summary>
public sealed class ExternalModelSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromFile(Path.Combine(Repository.Root(), "schemas", "models", "external-model.schema.json"));
    private static readonly JsonSchema RequestSchema = JsonSchema.FromFile(Path.Combine(Repository.Root(), "schemas", "models", "external-model-request.schema.json"));
    private static readonly JsonSchema AnswerSchema = JsonSchema.FromFile(Path.Combine(Repository.Root(), "schemas", "models", "external-model-answer.schema.json"));
    private static readonly JsonSchema BatchRequestSchema = JsonSchema.FromFile(Path.Combine(Repository.Root(), "schemas", "models", "external-model-batch-request.schema.json"));
    private static readonly JsonSchema BatchAnswerSchema = Registered(JsonSchema.FromFile(Path.Combine(Repository.Root(), "schemas", "models", "external-model-batch-answer.schema.json")));

    // The batch answer refers to the per-subject answer by its $id: known once registered.
    private static JsonSchema Registered(JsonSchema batchAnswer)
    {
        SchemaRegistry.Global.Register(AnswerSchema);
        return batchAnswer;
    }

    private static string Problems(EvaluationResults result) =>
        string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    private static JsonNode Parse(string text) =>
        JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;

    private static JsonElement Element(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement;

    private static JsonNode Example() =>
        Parse(File.ReadAllText(Path.Combine(Repository.Root(), "silo-config", "external-models", "one-compartment", "one-compartment.model.json")));

    [Theory]
    [InlineData("one-compartment.model.json")]
    [InlineData("one-compartment-batch.model.json")] // with a batch size and limits
    public void The_example_descriptors_meet_the_schema_and_load(string name)
    {
        var path = Path.Combine(Repository.Root(), "silo-config", "external-models", "one-compartment", name);
        var descriptor = Parse(File.ReadAllText(path));
        var result = Schema.Evaluate(Element(descriptor), new EvaluationOptions { OutputFormat = OutputFormat.List });
        result.IsValid.Should().BeTrue(Problems(result));
        Simulation.Models.External.ExternalModel.Load(path).Info.Id.Should().Be(descriptor["id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("id", "\"Has Spaces\"")]
    [InlineData("timeUnit", "\"mmol\"")]
    [InlineData("versoin", "\"1.0.0\"")]
    [InlineData("outputs", "[]")]
    [InlineData("executor", """{ "command": "python3", "memoryMiB": 8 }""")]
    [InlineData("executor", """{ "command": "python3", "cpuSeconds": 0 }""")]
    [InlineData("executor", """{ "command": "python3", "network": "bridge" }""")]
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

    [Fact]
    public async Task The_request_the_adapter_sends_meets_the_request_schema_and_the_example_codes_answer_meets_the_answer_schema()
    {
        // A code that writes what it was sent into a pipe beside its descriptor and answers.
        var folder = Directory.CreateDirectory(Path.Combine(TestPostgres.NewTemporaryFolder("protocol"), "capture")).FullName;
        if (OperatingSystem.IsWindows()) return;
        var captured = ExternalCodes.Capture(Path.Combine(folder, "request.json"));
        // Confined as on a silo, whatever other tests' silos in this process hide meanwhile: on a read-only file system.
        using var confined = Simulation.Models.External.ExternalModel.HideFromCodes([Directory.CreateDirectory(Path.Combine(folder, "..", "hidden")).FullName]);
        ExternalCodes.Script(Path.Combine(folder, "capture.sh"), "#!/bin/sh\ncat > \"$DTH_MODEL_DIR/request.json\"\necho '{\"outputs\": {\"C\": [1, null], \"A\": [2, 3]}}'\n");
        var descriptor = Example().AsObject();
        descriptor["id"] = "capture-protocol-test";
        descriptor["executor"] = JsonNode.Parse("""{ "command": "capture.sh" }""");
        File.WriteAllText(Path.Combine(folder, "capture.model.json"), descriptor.ToJsonString());
        var model = Simulation.Models.External.ExternalModel.Load(Path.Combine(folder, "capture.model.json"));
        var simulator = model.CreateSimulator(new Simulation.Solvers.SolverOptions(), [0.0, 12]);
        var y = new double[4];
        var subject = Simulation.Engine.SubjectIdentity.Of(5, 3);
        simulator.Solve(Simulation.Scenarios.CompiledScenario.Compile(model.Info, model.FindScenario("daily")!), model.DefaultParameters(), y, subject, CancellationToken.None)
            .Should().Be(Simulation.Solvers.IntegrationStatus.Completed);
        var request = JsonDocument.Parse(await captured.WaitAsync(TimeSpan.FromSeconds(60))).RootElement;
        var checkedRequest = RequestSchema.Evaluate(request, new EvaluationOptions { OutputFormat = OutputFormat.List });
        checkedRequest.IsValid.Should().BeTrue(Problems(checkedRequest));
        (request.GetProperty("subject").GetInt64(), request.GetProperty("seed").GetInt64()).Should().Be((3, subject.Seed));
        request.GetProperty("parameters").EnumerateObject().Select(p => p.Name).Should().Equal("CL", "V", "dose");

        // The example code's own answer to that request.
        var start = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(Repository.Root(), "silo-config", "external-models", "one-compartment", "one_compartment.py"));
        using var python = System.Diagnostics.Process.Start(start)!;
        python.StandardInput.Write(request.GetRawText());
        python.StandardInput.Close();
        var answer = python.StandardOutput.ReadToEnd();
        python.WaitForExit();
        python.ExitCode.Should().Be(0);
        var checkedAnswer = AnswerSchema.Evaluate(JsonDocument.Parse(answer).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        checkedAnswer.IsValid.Should().BeTrue(Problems(checkedAnswer));
    }

    [Theory]
    [InlineData("""{"result": 1}""")]
    [InlineData("""{"outputs": {"y": [1, "2", 3]}}""")]
    [InlineData("""{"outputs": {"y": 1}}""")]
    [InlineData("""[1, 2]""")]
    public void Answers_the_adapter_refuses_the_answer_schema_refuses(string answer) =>
        AnswerSchema.Evaluate(JsonDocument.Parse(answer).RootElement).IsValid.Should().BeFalse();

    [Fact]
    public async Task The_batch_request_the_adapter_sends_meets_its_schema_and_answers_with_outputs_or_errors_meet_theirs()
    {
        var folder = Directory.CreateDirectory(Path.Combine(TestPostgres.NewTemporaryFolder("batch-protocol"), "capture")).FullName;
        if (OperatingSystem.IsWindows()) return;
        var captured = ExternalCodes.Capture(Path.Combine(folder, "request.json"));
        // Confined as on a silo, whatever other tests' silos in this process hide meanwhile: on a read-only file system.
        using var confined = Simulation.Models.External.ExternalModel.HideFromCodes([Directory.CreateDirectory(Path.Combine(folder, "..", "hidden")).FullName]);
        ExternalCodes.Script(Path.Combine(folder, "capture.py"), """
            #!/usr/bin/env python3
            import json, os, sys
            text = sys.stdin.read()
            open(os.path.join(os.environ["DTH_MODEL_DIR"], "request.json"), "w").write(text)
            request = json.loads(text)
            json.dump({"answers": [{"outputs": {"C": [1] * len(request["times"]), "A": [2] * len(request["times"])}} for _ in request["subjects"]]}, sys.stdout)
            """);
        var descriptor = Example().AsObject();
        descriptor["id"] = "capture-batch-test";
        descriptor["executor"] = JsonNode.Parse("""{ "command": "capture.py", "batchSize": 16 }""");
        File.WriteAllText(Path.Combine(folder, "capture.model.json"), descriptor.ToJsonString());
        var model = Simulation.Models.External.ExternalModel.Load(Path.Combine(folder, "capture.model.json"));
        var simulator = (Simulation.Models.External.ExternalProcessSimulator)model.CreateSimulator(new Simulation.Solvers.SolverOptions(), [0.0, 12]);
        var scenario = Simulation.Scenarios.CompiledScenario.Compile(model.Info, model.FindScenario("daily")!);
        simulator.Prefetch([.. Enumerable.Range(0, 3).Select(i => new Simulation.Engine.SubjectCase(scenario, model.DefaultParameters(), Simulation.Engine.SubjectIdentity.Of(9, i)))],
            CancellationToken.None);

        var request = JsonDocument.Parse(await captured.WaitAsync(TimeSpan.FromSeconds(60))).RootElement;
        var checkedRequest = BatchRequestSchema.Evaluate(request, new EvaluationOptions { OutputFormat = OutputFormat.List });
        checkedRequest.IsValid.Should().BeTrue(Problems(checkedRequest));
        request.GetProperty("subjects").EnumerateArray().Select(x => x.GetProperty("seed").GetInt64())
            .Should().Equal(Enumerable.Range(0, 3).Select(i => Simulation.Engine.SubjectIdentity.Of(9, i).Seed));

        var answer = JsonDocument.Parse("""{"answers": [{"outputs": {"C": [1, null]}}, {"error": "did not converge"}]}""").RootElement;
        var checkedAnswer = BatchAnswerSchema.Evaluate(answer, new EvaluationOptions { OutputFormat = OutputFormat.List });
        checkedAnswer.IsValid.Should().BeTrue(Problems(checkedAnswer));
        BatchAnswerSchema.Evaluate(JsonDocument.Parse("""{"answers": [{"outputs": {"C": ["1"]}}]}""").RootElement).IsValid.Should().BeFalse();
        BatchAnswerSchema.Evaluate(JsonDocument.Parse("""{"outputs": {"C": [1]}}""").RootElement).IsValid.Should().BeFalse("a per-subject answer is not a batch answer");
    }
}
