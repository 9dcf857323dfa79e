using System.CommandLine;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using DthGrains.Cli.Catalogue;
using DthGrains.Cli.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Models.External;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;

namespace DthGrains.Cli.Runs;

/// <summary>
/// <c>dth run verify</c>: executes a completed run's recorded request on this machine and compares what it gives with what
/// the run recorded: the request's hash (the request is the one that was hashed) and the result hash (the results were
/// made from it by this engine). From the platform by run id, or offline from the run's RO-Crate.
/// </summary>
internal static class RunVerifyCommand
{
    /// <summary>The exit code when the results are not reproduced (as <c>dth audit verify</c> when something is broken): not 1, a usage mistake's.</summary>
    public const int NotReproduced = Audit.AuditCommands.Broken;

    /// <summary>The exit code when stopped by Ctrl-C (as shells report SIGINT).</summary>
    public const int Cancelled = 130;

    public static Command Build()
    {
        var run = new Argument<string[]>("run")
        {
            Description = "A completed run's id, or the path of its RO-Crate (.zip, from 'dth run results --ro-crate') to verify offline; several for a table of verdicts",
            Arity = ArgumentArity.OneOrMore,
        };
        var sample = new Option<int?>("--sample")
        {
            Description = "Re-run only this many shards, chosen at random here, compare each with its recorded fingerprint, and fold every recorded shard again " +
                "into the result hash: a large run checked for a fraction of its CPU",
        };
        var catchShare = new Option<string?>("--catch")
        {
            Description = "Instead of --sample N: re-run the smallest random sample that catches a run with this share of its shards false with this " +
                "confidence (95% when left out), e.g. 5% or 10%@99%; the size follows from the number of shards",
        };
        var silo = new Option<string?>("--silo")
        {
            Description = "Re-run only the shards recorded as computed on silos whose address, institution or role contains this, e.g. bsc, hpc or :11112 (with --sample, a sample of them)",
        };
        var externalModels = new Option<string?>("--external-models")
        {
            Description = "A folder of external model descriptors with their code (as a silo's Dth:Runs:ExternalModels), to re-run a run of an external model here; " +
                "the code's digest must be the one the run recorded",
        };
        var command = new Command("verify",
            "Re-run completed runs' recorded requests on this machine and check that they give the recorded result hashes, shard by shard; exit code 8 when one does not")
            { run, sample, catchShare, silo, externalModels };
        command.SetAction(async (parse, ct) =>
        {
            var code = 0;
            IDisposable? confined = null;
            try
            {
                // The options' checks inside RunAsync too: a bad --sample or --catch is an error line, not a stack trace.
                var exit = await CatalogueCommands.RunAsync(async () =>
                {
                    var json = parse.GetValue(CliSettings.Json);
                    var scope = new Scope(parse.GetValue(sample), parse.GetValue(silo), CatchOf(parse.GetValue(catchShare)));
                    if (scope.Sample is <= 0) throw new UsageException("--sample is the number of shards to re-run, 1 or more.");
                    if (scope.Sample is not null && scope.Catch is not null) throw new UsageException("--sample and --catch both set the sample's size: give one of them.");
                    if (parse.GetValue(externalModels) is { } folder) confined = RegisterExternalModels(folder);
                    if (parse.GetValue(run)! is { Length: > 1 } several)
                    {
                        code = await VerifySeveralAsync(parse, several, scope, json, ct);
                        return;
                    }
                    var recorded = await RecordedAsync(parse, parse.GetValue(run)![0], ct);
                    // Off the invoking thread: a verification of a crate never awaits before it, and Ctrl-C must reach it mid-way.
                    var check = await Task.Run(() => Check(recorded, scope, json, ct), ct);
                    code = check.Verdict.Reproduced ? 0 : NotReproduced;
                    if (json) CliJson.Print(JsonSerializer.SerializeToElement(check.ToJson(recorded)));
                    else Print(recorded, check);
                });
                return exit != 0 ? exit : code;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl-C: a verification stopped half way says nothing either way.
                CliErrors.Console.MarkupLine("[yellow]Stopped before the end: nothing was verified.[/]");
                return Cancelled;
            }
            finally
            {
                confined?.Dispose();
            }
        });
        return command;
    }

    /// <summary>
    /// Several runs (an auditor checking a study's): each verified in turn, one that cannot be (not completed, not found,
    /// not a crate) said so without stopping the others; then one table of verdicts, or a JSON array.
    /// </summary>
    private static async Task<int> VerifySeveralAsync(ParseResult parse, string[] sources, Scope scope, bool json, CancellationToken ct)
    {
        var results = new List<(string Source, Recorded? Recorded, Checked? Check, string? Error)>();
        int? errorCode = null;
        foreach (var source in sources)
        {
            try
            {
                var recorded = await RecordedAsync(parse, source, ct);
                var check = await Task.Run(() => Check(recorded, scope, json, ct), ct);
                results.Add((source, recorded, check, null));
            }
            catch (Exception ex) when (ex is UsageException or ApiException or HttpRequestException or IOException)
            {
                results.Add((source, null, null, ex is ApiException api ? $"{api.Status} {api.Message}" : ex.Message));
                errorCode ??= CliErrors.Explain(ex).Code;
            }
        }
        if (json)
        {
            CliJson.Print(JsonSerializer.SerializeToElement(results.Select(r => r.Check is { } c
                ? c.ToJson(r.Recorded!)
                : new { reproduced = false, source = r.Source, error = r.Error }).ToList<object>()));
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns("run", "verdict", "shards re-run", "result hash", "why").KeepingIds().KeepingIds(3);
            foreach (var (source, recorded, check, error) in results)
                table.AddRow(new Text(source),
                    new Markup(check is null ? "[yellow]not verified[/]" : check.Verdict.Reproduced ? "[green]reproduced[/]" : "[red]not reproduced[/]"),
                    new Text(check is null ? "-" : $"{check.Shards.Count} of {check.ShardsTotal}"),
                    new Text(recorded?.ResultHash ?? "-"), new Text(error ?? string.Join(" ", check!.Verdict.Reasons)));
            var good = results.Count(r => r.Check?.Verdict.Reproduced == true);
            AnsiConsole.Write(table.Caption($"{good} of {results.Count} reproduced bit for bit"));
        }
        // A run checked and not reproduced is a finding, said by its own code; one that could not be checked at all (not
        // found, the platform out of reach) is said by that failure's code, not as evidence of a changed result.
        return results.Any(r => r.Check is { Verdict.Reproduced: false }) ? NotReproduced : errorCode ?? 0;
    }

    /// <summary>What the run recorded: its normalised request and the hashes and figures it gave.</summary>
    /// <param name="Shards">the recorded shards, when known (the platform's, a crate's shards.json; crates exported before 2026-12-07 have none).</param>
    /// <param name="ModelCodeDigest">an external model's code digest, as the run recorded it (null for the engine's models).</param>
    internal sealed record Recorded(string Source, RunRequest Request, string RequestHash, string? EngineVersion, string ResultHash, long? Subjects, long? Failed,
        IReadOnlyList<RecordedShard>? Shards, string? ModelCodeDigest = null);

    /// <summary>
    /// The descriptors of --external-models, registered as a silo registers them (a problem in one is a usage error
    /// naming it), their codes to run as a silo's do, writing only their scratch, where this machine can: an auditor
    /// runs a partner's code.
    /// </summary>
    /// <returns>the confinement's registration, for the command's end; null where this machine cannot confine so.</returns>
    private static IDisposable? RegisterExternalModels(string folder)
    {
        var confined = ExternalModel.ConfineWritesOfCodes(out var why);
        if (confined is null)
            Console.Error.WriteLine($"note: the external codes run here without a silo's read-only file system ({why}); they can write what you can.");
        try
        {
            ExternalModel.RegisterFolder(folder);
            return confined;
        }
        catch (Exception ex) when (ex is InvalidDataException or DirectoryNotFoundException or ArgumentException)
        {
            confined?.Dispose();
            throw new UsageException($"--external-models: {ex.Message}");
        }
    }

    /// <summary>
    /// A run of an external model re-runs only with the code that computed it: the model known here (from
    /// --external-models) must have the digest the run recorded, or the comparison would say nothing about the run.
    /// </summary>
    private static void RequireSameCode(Recorded recorded)
    {
        if (recorded.ModelCodeDigest is not { } digest) return;
        ExternalModel? local;
        try
        {
            local = ModelLibrary.Get(recorded.Request.Model) as ExternalModel;
        }
        catch (ArgumentException)
        {
            local = null;
        }
        if (local is null)
            throw new UsageException($"{recorded.Source} was computed by the external model '{recorded.Request.Model}' (code {digest}): give its descriptor and code " +
                "with --external-models <folder>, as the silos' Dth:Runs:ExternalModels.");
        if (local.CodeDigest != digest)
            throw new UsageException($"{recorded.Source} was computed by code {digest}; the descriptor and code given here are {local.CodeDigest}: verify with the code that computed it.");
    }

    /// <summary>What to re-run: every shard, or a sample of them (of a size, or sized to catch a share of false shards), or those of some silos.</summary>
    internal sealed record Scope(int? Sample, string? Silo, (double Fraction, double Confidence)? Catch = null)
    {
        public bool Whole => Sample is null && Silo is null && Catch is null;
    }

    private static (double Fraction, double Confidence)? CatchOf(string? text)
    {
        if (text is null) return null;
        var (fraction, confidence, error) = ShardSample.ParseTarget(text);
        if (error is not null) throw new UsageException($"--catch: {error}");
        return (fraction, confidence);
    }

    /// <summary>What a sample was sized for (--catch): a run with <paramref name="FalseShards"/> false shards caught with at least <paramref name="Confidence"/>.</summary>
    internal sealed record CatchTarget(double Share, double Confidence, int FalseShards);

    private static IReadOnlyList<RecordedShard> ShardsOf(JsonElement shards, string what)
    {
        try
        {
            return shards.Deserialize<List<RecordedShard>>(RunJson.Recorded) ?? throw new UsageException($"{what} is empty.");
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{what} is not a list of recorded shards: {ex.Message}");
        }
    }

    private static async Task<Recorded> RecordedAsync(ParseResult parse, string run, CancellationToken ct)
    {
        if (run.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) || File.Exists(run)) return FromCrate(run);
        using var api = ApiClient.From(parse);
        var document = await api.GetAsync($"{RunCommands.RunsPath}/{Uri.EscapeDataString(run)}", ct);
        var status = Text(document, "status");
        if (status != "completed")
            throw new UsageException($"Run {run} is {status}: only a completed run has results to verify (dth run watch {run} follows it to its end).");
        if (!document.TryGetProperty("request", out var request) || request.ValueKind != JsonValueKind.Object)
            throw new UsageException($"Run {run} was recorded without its request, so it cannot be re-run.");
        var shards = ShardsOf(await api.GetAsync($"{RunCommands.RunsPath}/{Uri.EscapeDataString(run)}/shards", ct), $"the shards of run {run}");
        return new Recorded($"run {run}", RunJson.RequestOf(request, "the run's request"), Text(document, "requestHash"), Text(document, "engineVersion"),
            Text(document, "resultHash"), Long(document, "subjectsTotal"), Long(document, "failed"), shards,
            document.TryGetProperty("modelCodeDigest", out var digest) ? digest.GetString() : null);
    }

    /// <summary>A run's RO-Crate holds its normalised request (<c>request.json</c>) and its provenance (<c>provenance.json</c>).</summary>
    private static Recorded FromCrate(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"No RO-Crate at {Path.GetFullPath(path)}.");
        try
        {
            using var zip = ZipFile.OpenRead(path);
            JsonElement Entry(string name)
            {
                var entry = zip.GetEntry(name) ?? throw new UsageException($"{Path.GetFileName(path)} has no {name}: is it a run's RO-Crate (dth run results <id> --ro-crate)?");
                using var stream = entry.Open();
                try
                {
                    return JsonDocument.Parse(stream).RootElement.Clone();
                }
                catch (JsonException ex)
                {
                    throw new UsageException($"{name} in {Path.GetFileName(path)} is not valid JSON: {ex.Message}");
                }
            }
            var provenance = Entry("provenance.json");
            if (Text(provenance, "resultHash") is not { Length: > 0 } resultHash)
                throw new UsageException($"{Path.GetFileName(path)} records no result hash: the run had not completed when the crate was exported.");
            var shards = zip.GetEntry("shards.json") is null ? null : ShardsOf(Entry("shards.json"), "shards.json");
            return new Recorded(Path.GetFileName(path), RunJson.RequestOf(Entry("request.json"), "request.json"), Text(provenance, "requestHash"),
                Text(provenance, "engineVersion"), resultHash, Long(provenance, "subjects"), Long(provenance, "failed"), shards,
                provenance.TryGetProperty("modelCodeDigest", out var digest) && digest.ValueKind == JsonValueKind.String ? digest.GetString() : null);
        }
        catch (InvalidDataException ex)
        {
            throw new UsageException($"{Path.GetFileName(path)} is not a zip archive ({ex.Message}).");
        }
    }

    private static long? Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    /// <summary>A shard compared with its re-run: its recorded fingerprint (computed here from what it recorded) against the re-run's.</summary>
    internal sealed record ShardCheck(int Shard, long From, long To, string Silo, bool Same);

    /// <summary>
    /// One run checked: <see cref="Local"/> the figures the check gives (the whole run re-run; or, for a sample, the
    /// recorded shards folded again), the shards compared with their re-run, and the verdict.
    /// </summary>
    /// <param name="Random">whether the shards re-run were a random sample (not all, not a silo's): only then does a detection chance mean anything.</param>
    /// <param name="Population">the shards the sample was drawn from: all recorded ones, or those of the silos asked for.</param>
    internal sealed record Checked(ReproducedRun Local, IReadOnlyList<ShardCheck> Shards, int ShardsTotal, bool Whole, Verdict Verdict, bool Random,
        int Population, CatchTarget? Target = null)
    {
        public object ToJson(Recorded recorded) => new
        {
            reproduced = Verdict.Reproduced,
            source = recorded.Source,
            recorded = new { requestHash = recorded.RequestHash, engineVersion = recorded.EngineVersion, resultHash = recorded.ResultHash, subjects = recorded.Subjects, failed = recorded.Failed },
            local = new { requestHash = Local.RequestHash, engineVersion = Local.EngineVersion, resultHash = Local.ResultHash, subjects = Local.Subjects, failed = Local.Failed, shards = Local.Shards },
            shards = new
            {
                total = ShardsTotal,
                rerun = Whole ? "all" : Random ? "sample" : "chosen",
                @checked = Shards.Select(s => new { shard = s.Shard, from = s.From, to = s.To, silo = s.Silo, same = s.Same }),
                detection = Random ? new { oneFalse = Detection(1), tenthFalse = Detection(TenthOf(Population)) } : null,
                target = Target is { } t ? new { share = t.Share, confidence = t.Confidence, falseShards = t.FalseShards, of = Population, chance = Detection(t.FalseShards) } : null,
            },
            reasons = Verdict.Reasons,
        };

        /// <summary>The chance that a sample like this one catches a run with <paramref name="falseShards"/> false shards among those it was drawn from.</summary>
        public double Detection(int falseShards) => ShardSample.Detection(Population, Shards.Count, falseShards);
    }

    private static int TenthOf(int shards) => Math.Max(1, (shards + 9) / 10);

    /// <summary>
    /// The whole run re-run, each shard compared with its recorded one where they are known; or (<see cref="Scope"/>) some
    /// shards re-run and compared, and every recorded shard folded again into the result hash, which ties the shards to
    /// the recorded results without executing them.
    /// </summary>
    private static Checked Check(Recorded recorded, Scope scope, bool json, CancellationToken ct)
    {
        RequireSameCode(recorded);
        var fingerprints = recorded.Shards?.GroupBy(s => s.Shard).ToDictionary(g => g.Key, g => (Shard: g.First(), Fingerprint: ShardFingerprint.Of(g.First().ToShardCompleted("recorded"))));
        if (scope.Whole)
        {
            var (wholePlan, rerun) = LocalReproduction.Run(recorded.Request, recorded.Source, quiet: json, ct);
            var compared = fingerprints is null ? [] : rerun.ShardFingerprints.Select((f, i) => fingerprints.TryGetValue(i, out var r)
                ? new ShardCheck(i, r.Shard.From, r.Shard.To, r.Shard.SiloLabel, r.Fingerprint == f)
                : new ShardCheck(i, wholePlan.ShardRange(i).From, wholePlan.ShardRange(i).To, "no silo: not recorded", false)).ToList();
            return new Checked(rerun, compared, rerun.Shards, true, Verdict.Of(recorded, rerun, compared, whole: true), Random: false, Population: rerun.Shards);
        }
        if (fingerprints is null)
            throw new UsageException($"{recorded.Source} has no recorded shards (a crate exported before its shards were added as shards.json): verify it whole, without --sample or --silo.");
        var plan = LocalReproduction.Plan(recorded.Request, recorded.Source);
        var (refolded, problem) = RunReproduction.Refold(plan, recorded.Shards!);
        var candidates = fingerprints.Values.Where(r => scope.Silo is null || r.Shard.SiloLabel.Contains(scope.Silo, StringComparison.OrdinalIgnoreCase))
            .Select(r => r.Shard.Shard).Where(i => i >= 0 && i < plan.Shards).Order().ToArray();
        if (candidates.Length == 0)
            throw new UsageException($"No shard of {recorded.Source} was computed on a silo matching '{scope.Silo}'; its silos: " +
                string.Join(", ", fingerprints.Values.Select(r => r.Shard.SiloLabel).Distinct().Order(StringComparer.Ordinal)) + ".");
        var (size, target) = (scope.Sample, (CatchTarget?)null);
        if (scope.Catch is { } wanted)
        {
            var falseShards = ShardSample.FalseShardsIn(candidates.Length, wanted.Fraction);
            target = new CatchTarget(wanted.Fraction, wanted.Confidence, falseShards);
            size = ShardSample.SizeToCatch(candidates.Length, falseShards, wanted.Confidence);
        }
        var random = size is { } n && n < candidates.Length;
        var chosen = random ? [.. ShardSample.Choose(candidates.Length, size!.Value, Random.Shared).Select(i => candidates[i])] : candidates;
        var reRun = LocalReproduction.Shards(plan, chosen, recorded.Source, quiet: json, ct);
        var checks = reRun.Select(r =>
        {
            var (shard, fingerprint) = fingerprints[r.Shard];
            return new ShardCheck(r.Shard, shard.From, shard.To, shard.SiloLabel, fingerprint == r.Fingerprint);
        }).ToList();
        // A set of shards that does not make a run of this request still has the request's figures to compare.
        var local = refolded ?? new ReproducedRun(plan.RequestHash, RunPlanner.EngineVersion, plan.Shards, plan.Subjects, -1, null, null, "", []);
        return new Checked(local, checks, plan.Shards, false, Verdict.Of(recorded, local, checks, whole: false, problem?.Detail), random, candidates.Length, target);
    }

    /// <summary>Whether every recorded figure was reproduced, and if not, the likeliest reasons, most telling first.</summary>
    internal sealed record Verdict(bool Reproduced, string[] Reasons)
    {
        /// <param name="whole">whether <paramref name="local"/> is the whole run re-run (else the recorded shards folded again).</param>
        /// <param name="unfolded">why the recorded shards make no run of this request, when they do not.</param>
        public static Verdict Of(Recorded recorded, ReproducedRun local, IReadOnlyList<ShardCheck> shards, bool whole, string? unfolded = null)
        {
            var reasons = new List<string>();
            if (local.RequestHash != recorded.RequestHash)
                reasons.Add("The request does not hash to the recorded request hash: it was changed after the run, or made by another planner.");
            if (recorded.EngineVersion is { Length: > 0 } engine && !EngineIdentity.Same(engine, local.EngineVersion))
                reasons.Add($"The run was computed by engine {engine}, this CLI has {local.EngineVersion}: verify with a CLI of the run's engine.");
            if (recorded.Subjects is { } subjects && subjects != local.Subjects)
                reasons.Add($"The run recorded {subjects:N0} subjects, its request gives {local.Subjects:N0}.");
            if (unfolded is not null)
                reasons.Add($"The recorded shards make no run of this request: {unfolded}");
            else
            {
                if (recorded.Failed is { } failed && failed != local.Failed)
                    reasons.Add(whole ? $"The run recorded {failed:N0} failed subjects, the re-run {local.Failed:N0}." : $"The run recorded {failed:N0} failed subjects, its shards {local.Failed:N0}.");
                if (!whole && local.ResultHash != recorded.ResultHash)
                    reasons.Add("The recorded shards do not fold to the recorded result hash: the results or the shards were changed after the run.");
            }
            var differing = shards.Where(s => !s.Same).ToList();
            if (differing.Count > 0)
                reasons.Add($"{Count(differing.Count, "shard")} of {shards.Count} re-run here {(differing.Count == 1 ? "differs" : "differ")} from {(differing.Count == 1 ? "its" : "their")} " +
                    $"record: {Listed(differing.Select(s => s.Shard.ToString(CultureInfo.InvariantCulture)))}, computed on {Listed(differing.Select(s => s.Silo).Distinct())}.");
            if (whole && local.ResultHash != recorded.ResultHash && reasons.Count == 0 && shards.Count > 0)
                reasons.Add("Every shard re-runs to its record, yet the recorded result hash is not what they make: the results were changed after the run.");
            if (whole && local.ResultHash != recorded.ResultHash && reasons.Count == 0)
                reasons.Add("Same request and engine, other results: the recorded results were not made from this request, or this machine's floating point differs.");
            // Every recorded figure must be what the request gives: a matching result hash beside a wrong subject count is a false record too.
            return new Verdict(local.ResultHash == recorded.ResultHash && reasons.Count == 0, [.. reasons]);
        }

        private static string Listed(IEnumerable<string> items)
        {
            var all = items.ToList();
            return all.Count <= 8 ? string.Join(", ", all) : $"{string.Join(", ", all.Take(8))} and {all.Count - 8} more";
        }
    }

    /// <summary>A probability as a percentage to a tenth, never rounded up to a certainty it is not.</summary>
    private static string Percent(double p) =>
        p < 1 && p > 0.999 ? ">99.9%" : (p * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static string Count(int n, string what) => $"{n:N0} {what}{(n == 1 ? "" : "s")}";

    private static void Print(Recorded recorded, Checked check)
    {
        var (local, verdict) = (check.Local, check.Verdict);
        // One value where both agree, the two on their own lines where they differ: a row never holds two 64-digit hashes
        // side by side, which no terminal of usual width fits without cutting them.
        var table = new Table().Border(TableBorder.Rounded).AddColumns("", "", check.Whole ? "recorded / re-run here" : "recorded / from the recorded shards").KeepingIds(2);
        void Row(string what, string? then, string now) => table.AddRow(
            new Markup($"[grey]{what}[/]"),
            new Markup(then is null ? "[grey]not recorded[/]" : then == now ? "[green]same[/]" : "[red]differs[/]"),
            new Text(then is null || then == now ? now : $"{then}\n{now}"));
        Row("request hash", recorded.RequestHash, local.RequestHash);
        Row("engine", recorded.EngineVersion, local.EngineVersion);
        Row("subjects", recorded.Subjects?.ToString("N0", CultureInfo.InvariantCulture), local.Subjects.ToString("N0", CultureInfo.InvariantCulture));
        Row("failed", recorded.Failed?.ToString("N0", CultureInfo.InvariantCulture), local.Failed < 0 ? "-" : local.Failed.ToString("N0", CultureInfo.InvariantCulture));
        Row("result hash", recorded.ResultHash, local.ResultHash.Length == 0 ? "-" : local.ResultHash);
        var differing = check.Shards.Count(s => !s.Same);
        if (check.Shards.Count > 0)
            table.AddRow(new Markup("[grey]shards re-run[/]"), new Markup(differing == 0 ? "[green]same[/]" : $"[red]{differing} differ[/]"),
                new Text($"{check.Shards.Count:N0} of {check.ShardsTotal:N0}, compared with their recorded fingerprints"));
        AnsiConsole.Write(table);
        // A sample is listed whole (it is short); of a whole run, only the shards that differ.
        var listed = check.Whole ? check.Shards.Where(s => !s.Same).Take(20).ToList() : check.Shards.ToList();
        if (listed.Count > 0)
        {
            var shards = new Table().Border(TableBorder.Rounded).AddColumns("shard", "subjects", "computed on", "re-run here").KeepingIds(2);
            foreach (var s in listed)
                shards.AddRow(new Text(s.Shard.ToString(CultureInfo.InvariantCulture)), new Text($"{s.From:N0} to {s.To - 1:N0}"), new Text(s.Silo),
                    new Markup(s.Same ? "[green]same[/]" : "[red]differs[/]"));
            AnsiConsole.Write(shards);
        }
        if (verdict.Reproduced && check.Whole)
            AnsiConsole.MarkupLineInterpolated($"[green]Reproduced:[/] {recorded.Source}'s request, re-run here in {local.Shards} {(local.Shards == 1 ? "shard" : "shards")}, gives its recorded results bit for bit.");
        else if (verdict.Reproduced)
        {
            var which = check.Shards.Count == check.ShardsTotal ? $"All {Count(check.ShardsTotal, "shard")}"
                : check.Random ? $"A sample of {Count(check.Shards.Count, "shard")} of {check.ShardsTotal:N0}" : $"{Count(check.Shards.Count, "shard")} of {check.ShardsTotal:N0}, those of the silos asked for,";
            AnsiConsole.MarkupLineInterpolated($"[green]Reproduced ({(check.Random ? "sample" : "shards re-run")}):[/] {which} re-run here give their recorded statistics and rows bit for bit, and the recorded shards fold to the recorded results.");
            if (check.Target is { } t)
            {
                var outcome = check.Random ? $"this sample does with {Percent(check.Detection(t.FalseShards))}." : "only all of them do.";
                AnsiConsole.MarkupLineInterpolated($"  Sized to catch a run with {Count(t.FalseShards, "false shard")} of {check.Population:N0} ({Percent(t.Share)}) with probability {Percent(t.Confidence)} or more: {outcome}");
            }
            if (check.Random)
            {
                var tenth = TenthOf(check.Population);
                var many = tenth > 1 ? $", one with {tenth:N0} false shards (a tenth) with probability {Percent(check.Detection(tenth))}" : "";
                AnsiConsole.MarkupLineInterpolated($"  A sample like this catches a run with one false shard with probability {Percent(check.Detection(1))}{many}; 'dth run verify' without --sample re-runs every shard.");
            }
        }
        else
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Not reproduced:[/] {recorded.Source}'s recorded results are not what its request gives here.");
            foreach (var reason in verdict.Reasons) AnsiConsole.MarkupLineInterpolated($"  · {reason}");
        }
    }
}
