using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Runs.RunTestData;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>`dth run verify`: a completed run's recorded request re-run in the CLI's process gives the run's result hash, from the platform and offline from its RO-Crate.</summary>
[Collection(HostCollection.Name)]
public sealed class RunVerifyTests(HostFixture fixture)
{
    private readonly TestHost _host = fixture.Host;

    private static async Task<(int Code, string Output)> Verify(TestHost host, string token, params string[] args) =>
        await CliRunner.RunAsync(host.BaseAddress, token, ["run", "verify", .. args]);

    /// <summary>Rewrites one JSON entry of a crate copy.</summary>
    private static string Tampered(string crate, string folder, string entry, Action<JsonNode> change)
    {
        var copy = Path.Combine(folder, $"tampered-{Guid.NewGuid():N}.zip");
        File.Copy(crate, copy);
        using var zip = ZipFile.Open(copy, ZipArchiveMode.Update);
        JsonNode json;
        using (var reader = zip.GetEntry(entry)!.Open()) json = JsonNode.Parse(reader)!;
        change(json);
        zip.GetEntry(entry)!.Delete();
        using var writer = new StreamWriter(zip.CreateEntry(entry).Open());
        writer.Write(json.ToJsonString());
        return copy;
    }

    [Fact]
    public async Task A_completed_run_is_reproduced_from_the_platform_and_offline_from_its_crate_and_a_tampered_crate_is_not()
    {
        var subject = $"carla-verify-{Guid.NewGuid():N}"[..20];
        var (client, token) = (_host.ClientAs("researcher", "tum", subject), _host.Token("researcher", "tum", subject));
        // Six shards of 20, so the re-run folds several batches of shards in order.
        var id = await SubmitAsync(client, Cohort(size: 120, shardSize: 20, seed: 9));
        var run = await WaitForStatusAsync(client, id, "completed");
        var resultHash = run.GetProperty("resultHash").GetString()!;

        var (code, output) = await Verify(_host, token, id);
        code.Should().Be(0, output);
        output.Should().Contain("Reproduced:").And.Contain(resultHash).And.Contain(run.GetProperty("requestHash").GetString()!).And.NotContain("differs");

        var json = await Verify(_host, token, id, "--json");
        json.Code.Should().Be(0, json.Output);
        var verdict = JsonDocument.Parse(json.Output).RootElement;
        verdict.GetProperty("reproduced").GetBoolean().Should().BeTrue();
        verdict.GetProperty("local").GetProperty("resultHash").GetString().Should().Be(resultHash);
        verdict.GetProperty("local").GetProperty("shards").GetInt32().Should().Be(6);

        var folder = Directory.CreateTempSubdirectory("dth-run-verify-");
        try
        {
            var crate = Path.Combine(folder.FullName, "run.zip");
            (await CliRunner.RunAsync(_host.BaseAddress, token, "run", "results", id, "--out", Path.Combine(folder.FullName, "s.csv"), "--ro-crate", crate)).Code.Should().Be(0);
            // Offline: no platform is asked (a token of nobody known to it would not read the run).
            var offline = await Verify(_host, "not-a-token", crate);
            offline.Code.Should().Be(0, offline.Output);
            offline.Output.Should().Contain("Reproduced:").And.Contain(resultHash).And.NotContain("differs");
            offline.Output.Should().MatchRegex(@"subjects\s*│\s*same\s*│\s*120\s", "the crate's provenance names the run's subjects");
            // Several at once, as an auditor checks a study's runs: one table, each verdict, and the verdict code unless all reproduce.
            var several = await Verify(_host, token, id, "no-such-run", Tampered(crate, folder.FullName, "request.json", r => r["seed"] = 10));
            several.Code.Should().Be(DthGrains.Cli.Audit.AuditCommands.Broken, several.Output);
            several.Output.Should().Contain("1 of 3 reproduced bit for bit").And.Contain("not verified").And.Contain("404").And.Contain("not reproduced")
                .And.Contain("does not hash to the recorded request hash");
            var both = await Verify(_host, token, "--json", id, crate);
            both.Code.Should().Be(0, both.Output);
            JsonDocument.Parse(both.Output).RootElement.EnumerateArray().Select(v => v.GetProperty("reproduced").GetBoolean()).Should().Equal(true, true);

            // A crate claiming other subjects than its request gives: said.
            var otherSubjects = await Verify(_host, "not-a-token", "--json", Tampered(crate, folder.FullName, "provenance.json", p => p["subjects"] = 121));
            otherSubjects.Code.Should().Be(DthGrains.Cli.Audit.AuditCommands.Broken, otherSubjects.Output);
            JsonDocument.Parse(otherSubjects.Output).RootElement.GetProperty("reasons")[0].GetString().Should().Be("The run recorded 121 subjects, its request gives 120.");

            // Another seed in the request: it no longer hashes to the recorded request hash, and gives other results.
            var otherSeed = await Verify(_host, "not-a-token", Tampered(crate, folder.FullName, "request.json", r => r["seed"] = 10));
            otherSeed.Code.Should().Be(DthGrains.Cli.Audit.AuditCommands.Broken, otherSeed.Output);
            otherSeed.Output.Should().Contain("Not reproduced:").And.Contain("does not hash to the recorded request hash").And.Contain("differs");
            System.Text.RegularExpressions.Regex.Matches(otherSeed.Output, "[0-9a-f]{64}").Select(m => m.Value).Distinct().Should()
                .HaveCount(4, "both request hashes and both result hashes, each whole").And.Contain(resultHash);
            // A result hash that is not the request's, while every recorded shard re-runs to its record: the results were changed.
            var otherResult = await Verify(_host, "not-a-token", Tampered(crate, folder.FullName, "provenance.json", p => p["resultHash"] = new string('0', 64)));
            otherResult.Code.Should().Be(DthGrains.Cli.Audit.AuditCommands.Broken, otherResult.Output);
            otherResult.Output.Should().Contain("Not reproduced:").And.Contain("Every shard re-runs to its record, yet the recorded result hash is not what they make");
            // Without the shards to compare (a crate from before shards.json): same request and engine, other results.
            var withoutShards = Tampered(crate, folder.FullName, "provenance.json", p => p["resultHash"] = new string('0', 64));
            using (var zip = ZipFile.Open(withoutShards, ZipArchiveMode.Update)) zip.GetEntry("shards.json")!.Delete();
            (await Verify(_host, "not-a-token", withoutShards)).Output.Should().Contain("Same request and engine, other results");
            // Another engine recorded: said, since a different engine may legitimately give other numbers.
            var otherEngine = await Verify(_host, "not-a-token", "--json", Tampered(crate, folder.FullName, "provenance.json", p =>
            {
                p["engineVersion"] = "dthgrains-simulation/0.0.1";
                p["resultHash"] = new string('1', 64);
            }));
            otherEngine.Code.Should().Be(DthGrains.Cli.Audit.AuditCommands.Broken, otherEngine.Output);
            JsonDocument.Parse(otherEngine.Output).RootElement.GetProperty("reasons")[0].GetString().Should().Contain("engine dthgrains-simulation/0.0.1");

            // Not a crate, or a crate without the request: told what it is and how to get one; exit code not 0.
            var notZip = Path.Combine(folder.FullName, "notes.zip");
            await File.WriteAllTextAsync(notZip, "not a zip");
            var refused = await Verify(_host, "not-a-token", notZip);
            refused.Code.Should().NotBe(0);
            refused.Output.Should().Contain("is not a zip archive");
            var noRequest = Path.Combine(folder.FullName, "empty.zip");
            using (ZipFile.Open(noRequest, ZipArchiveMode.Create)) { }
            (await Verify(_host, "not-a-token", noRequest)).Output.Should().Contain("has no provenance.json").And.Contain("dth run results <id> --ro-crate");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_run_is_checked_by_a_sample_of_its_shards_from_the_platform_and_its_crate_and_a_forged_shard_is_named_with_its_silo()
    {
        var subject = $"carla-sample-{Guid.NewGuid():N}"[..20];
        var (client, token) = (_host.ClientAs("researcher", "tum", subject), _host.Token("researcher", "tum", subject));
        var id = await SubmitAsync(client, Cohort(size: 200, shardSize: 20, seed: 4));
        var run = await WaitForStatusAsync(client, id, "completed");
        var resultHash = run.GetProperty("resultHash").GetString()!;

        // The recorded shards, in shard order, for the owner (and auditors); nobody else learns the run exists.
        var shards = JsonDocument.Parse(await client.GetStringAsync($"/api/runs/{id}/shards")).RootElement.EnumerateArray().ToList();
        shards.Select(s => s.GetProperty("shard").GetInt32()).Should().Equal(Enumerable.Range(0, 10));
        shards.Select(s => s.GetProperty("from").GetInt64()).Should().Equal(Enumerable.Range(0, 10).Select(i => 20L * i));
        shards.Should().AllSatisfy(s =>
        {
            s.GetProperty("fingerprint").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
            s.GetProperty("rowsDigest").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
            s.GetProperty("statistics").GetProperty("data").GetString().Should().NotBeNullOrEmpty();
            s.GetProperty("silo").GetString().Should().NotBeNullOrEmpty();
            s.GetProperty("siloRole").GetString().Should().Be("data", "the shard names its silo's role and institutions");
            s.GetProperty("siloInstitutions").GetArrayLength().Should().BePositive();
        });
        shards.Select(s => s.GetProperty("fingerprint").GetString()).Should().OnlyHaveUniqueItems();
        var light = JsonDocument.Parse(await client.GetStringAsync($"/api/runs/{id}/shards?statistics=false")).RootElement.EnumerateArray().ToList();
        light.Select(s => s.GetProperty("fingerprint").GetString()).Should().Equal(shards.Select(s => s.GetProperty("fingerprint").GetString()), "fingerprints cover what is left out");
        light.Should().AllSatisfy(s => s.GetProperty("statistics").GetProperty("data").GetString().Should().BeEmpty());
        light.Select(s => s.GetProperty("statistics").GetProperty("individuals").GetInt64()).Should().AllBeEquivalentTo(20);
        (await _host.ClientAs("researcher", "tum", "someone-else").GetAsync($"/api/runs/{id}/shards")).StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound);
        (await _host.ClientAs("auditor", "dth-oversight", "dan-auditor").GetAsync($"/api/runs/{id}/shards")).StatusCode.Should().Be(System.Net.HttpStatusCode.OK);

        // Who computed what, as a table: each shard's subjects, silo (institutions, role) and fingerprint, then the count per silo.
        var table = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "shards", id);
        table.Code.Should().Be(0, table.Output);
        table.Output.Should().MatchRegex(@"│\s*4\s*│\s*80 to 99\s*│").And.Contain(shards[4].GetProperty("fingerprint").GetString()![..16])
            .And.Contain($"10 shards: {Label(shards[0])} × 10");

        var sampled = await Verify(_host, token, id, "--sample", "3");
        sampled.Code.Should().Be(0, sampled.Output);
        sampled.Output.Should().Contain("Reproduced (sample):").And.Contain("3 shards of 10").And.Contain(resultHash)
            .And.Contain("with probability 30%", "3 of 10 shards catch one false shard 3 times in 10").And.NotContain("differs");
        var json = JsonDocument.Parse((await Verify(_host, token, id, "--sample", "3", "--json")).Output).RootElement;
        json.GetProperty("reproduced").GetBoolean().Should().BeTrue();
        json.GetProperty("shards").GetProperty("checked").GetArrayLength().Should().Be(3);
        json.GetProperty("shards").GetProperty("detection").GetProperty("oneFalse").GetDouble().Should().BeApproximately(0.3, 1e-9);
        json.GetProperty("local").GetProperty("resultHash").GetString().Should().Be(resultHash, "the recorded shards fold to the recorded results");
        // Sized by what must not be missed: 3 false shards of 10 (30%) are caught with 95% by 6 shards (1 − 7/210), not by 5 (1 − 21/252).
        var caught = JsonDocument.Parse((await Verify(_host, token, id, "--catch", "30%", "--json")).Output).RootElement;
        caught.GetProperty("reproduced").GetBoolean().Should().BeTrue();
        caught.GetProperty("shards").GetProperty("checked").GetArrayLength().Should().Be(6);
        caught.GetProperty("shards").GetProperty("rerun").GetString().Should().Be("sample");
        var target = caught.GetProperty("shards").GetProperty("target");
        target.GetProperty("falseShards").GetInt32().Should().Be(3);
        target.GetProperty("confidence").GetDouble().Should().Be(0.95);
        target.GetProperty("chance").GetDouble().Should().BeApproximately(1 - 7.0 / 210, 1e-12);
        (await Verify(_host, token, id, "--catch", "30%")).Output.Should()
            .Contain("Sized to catch a run with 3 false shards of 10 (30%) with probability 95% or more: this sample does with 96.7%.");
        (await Verify(_host, token, id, "--catch", "10%@99%")).Output.Should().Contain("Reproduced (shards re-run): All 10 shards")
            .And.Contain("with probability 99% or more: only all of them do.", "one false shard in 10 is caught with 99% by no fewer than all");
        (await Verify(_host, token, id, "--catch", "5")).Output.Should().Contain("--catch: '5' is not a share of false shards to catch");
        (await Verify(_host, token, id, "--catch", "5%", "--sample", "2")).Output.Should().Contain("give one of them");
        // The shards of one silo, all of them: by its address, or by its role.
        var silo = shards[0].GetProperty("silo").GetString()!;
        var ofRole = JsonDocument.Parse((await Verify(_host, token, id, "--silo", "data", "--json")).Output).RootElement;
        ofRole.GetProperty("shards").GetProperty("checked").GetArrayLength().Should().Be(10);
        ofRole.GetProperty("shards").GetProperty("checked")[0].GetProperty("silo").GetString().Should().Be(Label(shards[0]));
        ofRole.GetProperty("shards").GetProperty("rerun").GetString().Should().Be("chosen", "a silo's shards are no random sample");
        ofRole.GetProperty("shards").GetProperty("detection").ValueKind.Should().Be(JsonValueKind.Null);
        (await Verify(_host, token, id, "--silo", "data")).Output.Should().Contain("Reproduced (shards re-run): All 10 shards re-run here").And.NotContain("probability");
        var ofSilo = JsonDocument.Parse((await Verify(_host, token, id, "--silo", silo, "--json")).Output).RootElement;
        ofSilo.GetProperty("shards").GetProperty("checked").EnumerateArray().Select(c => c.GetProperty("shard").GetInt32()).Should()
            .Equal(shards.Where(s => s.GetProperty("silo").GetString() == silo).Select(s => s.GetProperty("shard").GetInt32()));

        var folder = Directory.CreateTempSubdirectory("dth-run-sample-");
        try
        {
            var crate = Path.Combine(folder.FullName, "run.zip");
            await File.WriteAllBytesAsync(crate, await client.GetByteArrayAsync($"/api/runs/{id}/ro-crate"));
            var offline = await Verify(_host, "not-a-token", crate, "--sample", "2");
            offline.Code.Should().Be(0, offline.Output);
            offline.Output.Should().Contain("Reproduced (sample):");

            // Shard 4's statistics forged (its first cell's mean some percent off), and its fingerprint written to match:
            // re-running shard 4 says so, names it and the silo it was recorded on; folding the shards no longer gives the result hash.
            var forged = Tampered(crate, folder.FullName, "shards.json", a =>
            {
                var statistics = a[4]!["statistics"]!;
                var data = Convert.FromBase64String(statistics["data"]!.GetValue<string>());
                data[16] ^= 1;
                statistics["data"] = Convert.ToBase64String(data);
                a[4]!["fingerprint"] = new string('a', 64);
            });
            var whole = await Verify(_host, "not-a-token", forged, "--json");
            whole.Code.Should().Be(DthGrains.Cli.Audit.AuditCommands.Broken, whole.Output);
            var reasons = JsonDocument.Parse(whole.Output).RootElement.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()).ToList();
            reasons.Should().ContainSingle().Which.Should().Be($"1 shard of 10 re-run here differs from its record: 4, computed on {Label(shards[4])}.",
                "the re-run gives the recorded result hash, so only the shard's record is false");
            var all = await Verify(_host, "not-a-token", forged, "--sample", "10");
            all.Code.Should().Be(DthGrains.Cli.Audit.AuditCommands.Broken, all.Output);
            all.Output.Should().Contain("Not reproduced:").And.Contain("do not fold to the recorded result hash").And.MatchRegex(@"│\s*4\s*│\s*80 to 99\s*│.*│\s*differs");

            // Asked of what cannot be: no such silo (its silos listed), no sample, a crate from before shards.json.
            (await Verify(_host, token, id, "--silo", "no-such-silo")).Output.Should().Contain("No shard of run").And.Contain(silo);
            (await Verify(_host, token, id, "--sample", "0")).Output.Should().Contain("--sample is the number of shards to re-run");
            var older = Path.Combine(folder.FullName, "older.zip");
            File.Copy(crate, older);
            using (var zip = ZipFile.Open(older, ZipArchiveMode.Update)) zip.GetEntry("shards.json")!.Delete();
            var refused = await Verify(_host, "not-a-token", older, "--sample", "2");
            refused.Code.Should().NotBe(0);
            refused.Output.Should().Contain("has no recorded shards").And.Contain("verify it whole");
            (await Verify(_host, "not-a-token", older)).Code.Should().Be(0, "a crate without its shards still verifies whole");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>A recorded shard's silo as the CLI names it.</summary>
    private static string Label(JsonElement shard) => DthGrains.Domain.Runs.ShardSilo.Label(shard.GetProperty("silo").GetString()!,
        shard.GetProperty("siloRole").GetString(), [.. shard.GetProperty("siloInstitutions").EnumerateArray().Select(i => i.GetString()!)]);

    [Fact]
    public async Task A_cohort_run_locally_gives_the_request_hash_result_hash_and_bands_file_of_the_same_options_submitted_to_the_platform()
    {
        var subject = $"carla-local-{Guid.NewGuid():N}"[..20];
        var (client, token) = (_host.ClientAs("researcher", "tum", subject), _host.Token("researcher", "tum", subject));
        var folder = Directory.CreateTempSubdirectory("dth-sim-local-vs-run-");
        try
        {
            var local = await CliRunner.RunAsync(_host.BaseAddress, token, "sim", "local", "--model", "hovorka", "--cohort", "300", "--seed", "12", "--json",
                "--out", Path.Combine(folder.FullName, "local.csv"));
            local.Code.Should().Be(0, local.Output);
            var there = JsonDocument.Parse(local.Output).RootElement;

            var submitted = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "submit", "--model", "hovorka", "--cohort", "300", "--seed", "12", "--json");
            submitted.Code.Should().Be(0, submitted.Output);
            var run = await WaitForStatusAsync(client, JsonDocument.Parse(submitted.Output).RootElement.GetProperty("id").GetString()!, "completed");
            run.GetProperty("requestHash").GetString().Should().Be(there.GetProperty("requestHash").GetString(), "the same options make the same request");
            run.GetProperty("resultHash").GetString().Should().Be(there.GetProperty("resultHash").GetString(), "the same request gives the same results here and there");

            var crate = new ZipArchive(new MemoryStream(await client.GetByteArrayAsync($"/api/runs/{run.GetProperty("id").GetString()}/ro-crate")));
            using var bands = new StreamReader(crate.GetEntry("results/bands.csv")!.Open());
            (await File.ReadAllTextAsync(Path.Combine(folder.FullName, "local.csv"))).Should().Be(await bands.ReadToEndAsync(), "the same bands file, floors included");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_request_file_run_locally_gives_what_the_platform_records_for_the_same_body()
    {
        var subject = $"carla-reqfile-{Guid.NewGuid():N}"[..20];
        var (client, token) = (_host.ClientAs("researcher", "tum", subject), _host.Token("researcher", "tum", subject));
        const string body = """{"kind": "sensitivity", "model": "bergman", "size": 60, "seed": 8, "duration": 60, "shardSize": 80, "uncertain": [{"parameter": "p2", "cv": 0.3}, {"parameter": "p3", "cv": 0.3}]}""";
        var file = Path.Combine(Path.GetTempPath(), $"dth-request-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, body);
        try
        {
            var local = await CliRunner.RunAsync(_host.BaseAddress, token, "sim", "local", "--request", file, "--json");
            local.Code.Should().Be(0, local.Output);
            var here = JsonDocument.Parse(local.Output).RootElement;
            var run = await WaitForStatusAsync(client, await SubmitAsync(client, JsonDocument.Parse(body).RootElement), "completed");
            run.GetProperty("requestHash").GetString().Should().Be(here.GetProperty("requestHash").GetString());
            run.GetProperty("resultHash").GetString().Should().Be(here.GetProperty("resultHash").GetString());
            static double[] FirstOrder(JsonElement r) => [.. r.GetProperty("sensitivity").GetProperty("firstOrder").EnumerateArray().Select(v => v.GetDouble())];
            FirstOrder(run).Should().Equal(FirstOrder(here));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Only_a_completed_run_is_verified_and_an_unknown_one_is_the_apis_not_found()
    {
        var subject = $"carla-verify-{Guid.NewGuid():N}"[..20];
        var token = _host.Token("researcher", "tum", subject);
        var unknown = await Verify(_host, token, "no-such-run");
        unknown.Code.Should().NotBe(0);
        unknown.Output.Should().Contain("404");

        // A run cancelled before its end has no results to verify.
        var client = _host.ClientAs("researcher", "tum", subject);
        var id = await SubmitAsync(client, Cohort(size: 20_000, shardSize: 500));
        (await client.PostAsync($"/api/runs/{id}/cancel", Governance.GovernanceTestData.Body(new { reason = "Verify test." }))).EnsureSuccessStatusCode();
        var cancelled = await Verify(_host, token, id);
        cancelled.Code.Should().NotBe(0);
        cancelled.Output.Should().Contain($"Run {id} is cancelled: only a completed run has results to verify");
    }
}
