using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Runs;
using DthGrains.Silo.Platform;

namespace DthGrains.Silo.Runs;

/// <summary>A completed run's results: per-subject rows, summary and bands, provenance; as JSON, CSV and a Workflow Run RO-Crate.</summary>
public static class RunExports
{
    public const string SubjectSummaryColumns = "min,mean,max,final";

    /// <summary>An external model's entity names the SHA-256 of its code (schema.org's <c>sha256</c>); the engine's models have none.</summary>
    private static JsonObject CodeDigestOf(RunDocument d, JsonObject model)
    {
        if (d.ModelCodeDigest is { } digest) model["sha256"] = digest["sha256:".Length..];
        return model;
    }

    /// <summary>What every result points at.</summary>
    public static JsonObject Provenance(RunDocument d) => new()
    {
        ["runId"] = d.Id,
        ["modelId"] = d.ModelId,
        ["modelVersion"] = d.ModelVersion,
        ["engineVersion"] = d.EngineVersion,
        ["modelCodeDigest"] = d.ModelCodeDigest,
        ["solver"] = JsonSerializer.SerializeToNode(d.Solver, JsonDefaults.Options),
        ["seed"] = d.Seed,
        ["requestHash"] = d.RequestHash,
        ["resultHash"] = d.ResultHash,
        // With the result hash, what 'dth run verify' compares offline: how many subjects the run had, and how many failed.
        ["subjects"] = d.SubjectsTotal,
        ["failed"] = d.Failed,
        ["datasets"] = JsonSerializer.SerializeToNode(d.Datasets, JsonDefaults.Options),
        ["cohortFrom"] = JsonSerializer.SerializeToNode(d.Request?.CohortFrom, JsonDefaults.Options),
        ["grants"] = JsonSerializer.SerializeToNode(d.Grants, JsonDefaults.Options),
        ["purpose"] = d.Purpose,
        ["owner"] = d.Owner,
        ["completedAt"] = d.CompletedAt,
        // Whose hardware computed the shards (institutions and role of the silos), as the run recorded it.
        ["computedAt"] = d.ComputedAt is { } sites ? JsonSerializer.SerializeToNode(sites, JsonDefaults.Options) : null,
        ["rowsReleased"] = d.RowsReleased is { } released ? new JsonObject { ["at"] = released.At, ["by"] = released.By, ["reason"] = released.Reason } : null,
    };

    /// <summary>
    /// Subject rows in subject order: index, then per output min, mean, max, final (null where the solve failed), from
    /// shards given in shard order (one at a time: a shard's rows are let go before the next is read).
    /// </summary>
    public static async IAsyncEnumerable<SubjectRow> Subjects(IAsyncEnumerable<ShardCompleted> shardsInOrder, int width)
    {
        if (width == 0) yield break;
        await foreach (var shard in shardsInOrder)
        {
            var values = shard.SubjectValues();
            var failures = shard.SubjectFailures(width);
            for (long i = shard.From; i < shard.To && (i - shard.From + 1) * width <= values.Length; i++)
                yield return new SubjectRow(i, values.AsSpan((int)((i - shard.From) * width), width).ToArray(), failures[i - shard.From]);
        }
    }

    /// <summary>The value columns of a subject row (the table adds <c>subject</c> before and <see cref="FailureColumn"/> after them).</summary>
    public static string[] Columns(string[] outputs) =>
        outputs.SelectMany(o => SubjectSummaryColumns.Split(',').Select(c => $"{o}_{c}")).ToArray();

    /// <summary>The last column of the subjects table: empty where the subject completed, else why its solve failed.</summary>
    public const string FailureColumn = "failure";

    /// <summary>
    /// Writes the per-subject CSV row by row: a million-subject run's table (some 200 MB of text) goes out as it is
    /// written, never held whole. Asynchronous, since a response body refuses synchronous writes.
    /// </summary>
    public static async Task WriteSubjectsCsvAsync(TextWriter writer, string[] outputs, IAsyncEnumerable<SubjectRow> rows, CancellationToken ct = default)
    {
        await writer.WriteAsync(new StringBuilder("subject,").AppendJoin(',', Columns(outputs)).Append(',').Append(FailureColumn).Append('\n'), ct);
        var line = new StringBuilder();
        await foreach (var (index, values, failure) in rows.WithCancellation(ct))
        {
            line.Clear().Append(index.ToString(CultureInfo.InvariantCulture)).Append(',').AppendJoin(',', values.Select(Num)).Append(',').Append(failure).Append('\n');
            await writer.WriteAsync(line, ct);
        }
    }

    private static string Num(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";

    /// <summary>
    /// A Workflow Run RO-Crate (https://w3id.org/ro/wfrun/workflow/0.5): the model as the workflow (mainEntity), the run
    /// as a CreateAction with the request, datasets and grants as objects and the result files as results. Written as a zip
    /// to <paramref name="output"/>; the per-subject table is written into its entry by <paramref name="writeSubjects"/>
    /// (row by row), and the recorded shards (<c>shards.json</c>, tens of kilobytes of statistics each) from
    /// <paramref name="shards"/>, one by one; every other file is small.
    /// </summary>
    public static async Task WriteRoCrateAsync(Stream output, RunDocument d, Func<TextWriter, Task>? writeSubjects, IAsyncEnumerable<RecordedShard> shards, string baseUrl)
    {
        const string subjectsCsv = "results/subjects.csv";
        var files = new Dictionary<string, (string Type, string? Text, string Description)>
        {
            ["request.json"] = ("application/json", JsonSerializer.Serialize(d.Request, JsonDefaults.Options), "The normalised run request (every default filled in)."),
            ["provenance.json"] = ("application/json", Provenance(d).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), "Model, engine, solver, seed, request hash, datasets and grants."),
            ["model.json"] = ("application/json", new JsonObject { ["id"] = d.ModelId, ["version"] = d.ModelVersion, ["engine"] = d.EngineVersion, ["codeDigest"] = d.ModelCodeDigest }.ToJsonString(),
                d.ModelCodeDigest is null ? "The model run (engine library model)." : "The model run (an external code, run by the engine as a local process; codeDigest pins its files)."),
        };
        // Files written as they are read, rather than held whole.
        var streamed = new Dictionary<string, Func<TextWriter, Task>> { ["shards.json"] = w => WriteShardsAsync(w, shards) };
        files["shards.json"] = ("application/json", null,
            "The shards as recorded, in shard order: subjects, silo, statistics (binary, base64), rows digest and fingerprint. Folded again they give the result hash; 'dth run verify --sample' re-runs a few and compares their fingerprints.");
        // Released rows are not in the crate; its provenance says when, by whom and why.
        if (writeSubjects is not null)
        {
            files[subjectsCsv] = ("text/csv", null, "Per-subject outputs: min, mean, max and final value of each output.");
            streamed[subjectsCsv] = writeSubjects;
        }
        if (d.Summary is { } summary)
        {
            files["results/summary.json"] = ("application/json", JsonSerializer.Serialize(summary, JsonDefaults.Options), "Summary statistics and percentile bands over time.");
            files["results/bands.csv"] = ("text/csv", RunSummaryCsv.Of(summary), "Mean, standard deviation and percentiles per output and time; floor: a percentile at or below it only bounds the values (they were too small beside the rest to tell apart).");
        }
        if (d.Sensitivity is { } sensitivity)
            files["results/sensitivity.json"] = ("application/json", JsonSerializer.Serialize(sensitivity, JsonDefaults.Options),
                $"First-order and total Sobol indices of the {sensitivity.Statistic} of {sensitivity.Output} over the output grid.");
        // A study's further targets, a file each beside it (sensitivity.json keeps its shape for readers of one target).
        foreach (var more in d.SensitivityAlso ?? [])
            files[$"results/sensitivity-{more.Output}-{more.Statistic}.json"] = ("application/json", JsonSerializer.Serialize(more, JsonDefaults.Options),
                $"First-order and total Sobol indices of the {more.Statistic} of {more.Output} over the output grid, from the same evaluations.");

        var results = files.Keys.Where(k => k.StartsWith("results/", StringComparison.Ordinal)).ToArray();
        var seed = d.Request?.CohortFrom is { DatasetVersion: not null } fitted ? fitted : null;
        var graph = new JsonArray
        {
            new JsonObject { ["@id"] = "ro-crate-metadata.json", ["@type"] = "CreativeWork", ["conformsTo"] = Ref("https://w3id.org/ro/crate/1.1"), ["about"] = Ref("./") },
            new JsonObject
            {
                ["@id"] = "./", ["@type"] = "Dataset", ["name"] = $"Simulation run {d.Id}", ["identifier"] = $"{baseUrl}/api/runs/{d.Id}",
                ["description"] = $"{d.Kind} run of {d.ModelId} {d.ModelVersion} over {d.SubjectsTotal} subjects (seed {d.Seed}).",
                ["datePublished"] = (d.CompletedAt ?? d.UpdatedAt).ToString("O"), ["license"] = Ref("https://spdx.org/licenses/CC-BY-4.0"),
                ["conformsTo"] = new JsonArray(Ref("https://w3id.org/ro/wfrun/process/0.5"), Ref("https://w3id.org/ro/wfrun/workflow/0.5"), Ref("https://w3id.org/workflowhub/workflow-ro-crate/1.0")),
                ["mainEntity"] = Ref("model.json"),
                ["hasPart"] = new JsonArray([.. files.Keys.Select(k => (JsonNode)Ref(k))]),
                ["mentions"] = Ref("#run"),
            },
            Profile("https://w3id.org/ro/wfrun/process/0.5", "Process Run Crate"),
            Profile("https://w3id.org/ro/wfrun/workflow/0.5", "Workflow Run Crate"),
            Profile("https://w3id.org/workflowhub/workflow-ro-crate/1.0", "Workflow RO-Crate"),
            CodeDigestOf(d, new JsonObject
            {
                ["@id"] = "model.json", ["@type"] = new JsonArray("File", "SoftwareSourceCode", "ComputationalWorkflow"), ["name"] = $"{d.ModelId} {d.ModelVersion}",
                ["identifier"] = d.ModelId, ["version"] = d.ModelVersion, ["programmingLanguage"] = Ref("#dthgrains-engine"),
                ["encodingFormat"] = "application/json", ["description"] = files["model.json"].Description,
                ["input"] = new JsonArray(Ref("#param-request")), ["output"] = new JsonArray(Ref("#param-results")),
            }),
            new JsonObject { ["@id"] = "#dthgrains-engine", ["@type"] = "ComputerLanguage", ["name"] = "DthGrains simulation engine", ["version"] = d.EngineVersion },
            new JsonObject { ["@id"] = "#param-request", ["@type"] = "FormalParameter", ["name"] = "request", ["additionalType"] = "File", ["conformsTo"] = Ref("https://bioschemas.org/profiles/FormalParameter/1.0-RELEASE") },
            new JsonObject { ["@id"] = "#param-results", ["@type"] = "FormalParameter", ["name"] = "results", ["additionalType"] = "File", ["conformsTo"] = Ref("https://bioschemas.org/profiles/FormalParameter/1.0-RELEASE") },
            new JsonObject
            {
                ["@id"] = "#run", ["@type"] = "CreateAction", ["name"] = $"Run {d.Id}", ["instrument"] = Ref("model.json"), ["agent"] = Ref($"#person-{d.Owner}"),
                ["startTime"] = d.SubmittedAt.ToString("O"), ["endTime"] = (d.CompletedAt ?? d.UpdatedAt).ToString("O"),
                ["actionStatus"] = Ref(d.Status == Contracts.Runs.RunStatus.Completed ? "http://schema.org/CompletedActionStatus" : "http://schema.org/FailedActionStatus"),
                ["object"] = new JsonArray([Ref("request.json"), .. d.Datasets.Select(x => (JsonNode)Ref($"#dataset-{x.Id}")), .. d.Grants.Select(g => (JsonNode)Ref($"#grant-{g}")),
                    .. seed is null ? Array.Empty<JsonNode>() : [Ref("#cohort-seed")]]),
                ["result"] = new JsonArray([.. results.Select(r => (JsonNode)Ref(r))]),
                ["identifier"] = d.RequestHash,
            },
            new JsonObject { ["@id"] = $"#person-{d.Owner}", ["@type"] = "Person", ["name"] = d.Owner, ["affiliation"] = d.OwnerInstitution },
        };
        // The institutions whose silos computed the shards took part in the run (schema.org: its co-agents, participant).
        var computing = (d.ComputedAt ?? []).SelectMany(c => c.Institutions).Distinct(StringComparer.Ordinal).ToList();
        if (computing.Count > 0)
            graph.OfType<JsonObject>().Single(n => (string?)n["@id"] == "#run")["participant"] = new JsonArray([.. computing.Select(i => (JsonNode)Ref($"#organisation-{i}"))]);
        foreach (var institution in computing)
        {
            var sites = d.ComputedAt!.Where(c => c.Institutions.Contains(institution)).ToList();
            graph.Add(new JsonObject
            {
                ["@id"] = $"#organisation-{institution}", ["@type"] = "Organization", ["name"] = institution,
                ["description"] = $"Computed {string.Join("; ", sites.Select(c => $"{c.Shards} {(c.Shards == 1 ? "shard" : "shards")} ({c.Subjects} subjects) on its {c.Role ?? "unnamed"} silos"))} of this run.",
            });
        }
        foreach (var x in d.Datasets)
            graph.Add(new JsonObject { ["@id"] = $"#dataset-{x.Id}", ["@type"] = "Dataset", ["identifier"] = x.Id, ["version"] = x.Version, ["publisher"] = x.Institution, ["url"] = $"{baseUrl}/api/catalogue/resources/{x.Id}" });
        if (seed is not null)
            graph.Add(new JsonObject
            {
                ["@id"] = "#cohort-seed", ["@type"] = "Dataset", ["name"] = $"Virtual cohort seed from {seed.Subjects} subjects of {seed.Dataset} {seed.DatasetVersion}",
                ["description"] = $"Log-normal (median, CV) of {string.Join(", ", (seed.Parameters ?? []).Select(p => p.Parameter))} fitted at the data owner's silos ({seed.Method}); only these aggregates left the institution.",
                ["isBasedOn"] = Ref($"#dataset-{seed.Dataset}"),
            });
        foreach (var g in d.Grants)
            graph.Add(new JsonObject { ["@id"] = $"#grant-{g}", ["@type"] = "CreativeWork", ["name"] = $"Access grant {g}", ["description"] = "The permit under which the datasets were used (action simulate)." });
        // model.json is described once, as the workflow above (an entity per @id: RO-Crate merges none).
        foreach (var (name, (type, _, description)) in files.Where(f => f.Key != "model.json"))
            graph.Add(new JsonObject
            {
                ["@id"] = name, ["@type"] = "File", ["encodingFormat"] = type, ["description"] = description,
                ["exampleOfWork"] = name == "request.json" ? Ref("#param-request") : name.StartsWith("results/", StringComparison.Ordinal) ? Ref("#param-results") : null,
            });

        var metadata = new JsonObject { ["@context"] = "https://w3id.org/ro/crate/1.1/context", ["@graph"] = graph };
        await using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        await AddAsync(zip, "ro-crate-metadata.json", w => w.WriteAsync(metadata.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        foreach (var (name, (_, text, _)) in files) await AddAsync(zip, name, text is null ? streamed[name] : w => w.WriteAsync(text));

        static async Task WriteShardsAsync(TextWriter w, IAsyncEnumerable<RecordedShard> shards)
        {
            await w.WriteAsync('[');
            var first = true;
            await foreach (var shard in shards)
            {
                await w.WriteAsync(first ? "\n" : ",\n");
                await w.WriteAsync(JsonSerializer.Serialize(shard, JsonDefaults.Options));
                first = false;
            }
            await w.WriteAsync("\n]\n");
        }
        static JsonObject Ref(string id) => new() { ["@id"] = id };
        static JsonObject Profile(string id, string name) => new() { ["@id"] = id, ["@type"] = "CreativeWork", ["name"] = name, ["version"] = id[(id.LastIndexOf('/') + 1)..] };
        static async Task AddAsync(ZipArchive zip, string name, Func<TextWriter, Task> write)
        {
            var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
            entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
            await using var writer = new StreamWriter(await entry.OpenAsync(), new UTF8Encoding(false));
            await write(writer);
        }
    }
}

/// <summary>One subject's row of a run's results: its index, its summary values (null where its solve failed) and why it failed (null when it completed).</summary>
public readonly record struct SubjectRow(long Index, double?[] Values, string? Failure);
