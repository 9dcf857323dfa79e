using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Cli.Catalogue;
using DthGrains.Cli.Platform;
using DthGrains.Cli.Runs;
using DthGrains.Domain.Runs;
using Spectre.Console;

namespace DthGrains.Cli.Simulation;

/// <summary>
/// <c>dth sim local --request FILE</c>: any run request (the body of <c>POST /api/runs</c>, or a run's <c>request.json</c>)
/// executed on this machine by the platform's own planner and shard path (<see cref="RunReproduction"/>), and shown as
/// <c>dth run show</c> shows a platform run: the same request gives the same request hash, results and result hash.
/// </summary>
internal static class LocalRequestRun
{
    public static int Execute(FileInfo file, string? output, bool json)
    {
        if (!file.Exists) throw new UsageException($"No request file at {file.FullName}.");
        JsonElement body;
        try
        {
            using var stream = file.OpenRead();
            body = JsonDocument.Parse(stream).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{file.Name} is not valid JSON: {ex.Message}");
        }
        var (plan, run) = LocalReproduction.Run(RunJson.RequestOf(body, file.Name), file.Name, quiet: json);
        var shown = AsRun(plan, run);
        if (output is not null && run.Summary is { } summary)
        {
            File.WriteAllText(output, RunSummaryCsv.Of(summary));
            shown["bandsCsv"] = Path.GetFullPath(output);
        }
        var element = JsonSerializer.SerializeToElement(shown);
        if (json) CliJson.Print(element);
        else
        {
            RunCommands.PrintRun(element);
            if (output is not null && run.Summary is not null) AnsiConsole.MarkupLineInterpolated($"wrote the bands to [link]{Path.GetFullPath(output)}[/]");
        }
        return 0;
    }

    /// <summary>The reproduction in the shape of a platform run (GET /api/runs/{id}), so it reads and prints as one.</summary>
    private static JsonObject AsRun(RunPlan plan, ReproducedRun run) => new()
    {
        ["id"] = "local",
        ["status"] = "completed",
        ["kind"] = JsonSerializer.SerializeToNode(plan.Request.Kind, RunJson.Options),
        ["modelId"] = plan.Model.Info.Id,
        ["modelVersion"] = plan.Model.Info.Version,
        ["engineVersion"] = run.EngineVersion,
        ["shardsDone"] = run.Shards,
        ["shardsTotal"] = run.Shards,
        ["subjectsDone"] = run.Subjects,
        ["subjectsTotal"] = run.Subjects,
        ["seed"] = plan.Request.Seed,
        ["requestHash"] = run.RequestHash,
        ["resultHash"] = run.ResultHash,
        ["failed"] = run.Failed,
        ["failedBy"] = run.Summary?.FailedBy is { Count: > 0 } failedBy ? JsonSerializer.SerializeToNode(failedBy, RunJson.Options) : null,
        ["request"] = JsonSerializer.SerializeToNode(plan.Request, RunJson.Options),
        ["summary"] = run.Summary is { } s ? JsonSerializer.SerializeToNode(s, RunJson.Options) : null,
        ["sensitivity"] = run.Sensitivity is { } x ? JsonSerializer.SerializeToNode(x, RunJson.Options) : null,
        ["sensitivityAlso"] = run.SensitivityAlso is { } more ? JsonSerializer.SerializeToNode(more, RunJson.Options) : null,
    };
}
