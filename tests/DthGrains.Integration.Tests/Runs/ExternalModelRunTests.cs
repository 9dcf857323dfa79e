using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Domain.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Silo.Platform;
using DthGrains.Silo.Runs;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Models.External;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static DthGrains.Integration.Tests.Runs.RunTestData;
using PrometheusText = DthGrains.Cli.Federation.PrometheusText;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// An external model (the repository's Python example) run through the platform on a two-silo cluster where only one silo
/// has its code: the run goes through governance, planning, shards, statistics and provenance like any other, and every
/// shard runs on the silo that has the code, although the other one is the hpc silo the engine's shards would prefer.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ExternalModelRunTests
{
    private static readonly string Examples = Path.Combine(Repository.Root(), "silo-config", "external-models");

    [Fact]
    public async Task A_cohort_of_an_external_model_runs_only_on_the_silos_that_have_its_code_and_records_the_codes_digest()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("external", orleansSchema: true);
        var clusterId = $"external-{Guid.NewGuid():N}";
        var key = Path.Combine(TestPostgres.NewTemporaryFolder("external-key"), "key.pem");
        // inst-a: an hpc silo without the code (it serves the API); inst-b: a data silo with it.
        await using var hpc = await TestHost.StartAsync("inst-a", role: "hpc", connectionString: connectionString, clusterId: clusterId, alsoHosts: [], signingKeyPath: key);
        await using var withCode = await TestHost.StartAsync("inst-b", role: "data", connectionString: connectionString, clusterId: clusterId, alsoHosts: [],
            signingKeyPath: key, settings: new Dictionary<string, string?> { ["Dth:Runs:ExternalModels"] = Examples });
        await Eventually.Until(() => Task.FromResult(hpc.Services.GetRequiredService<Grains.Federation.InstitutionSilos>().LiveSilosOf("inst-b").Count), n => n == 1,
            TimeSpan.FromSeconds(30), "inst-b's silo to be visible from inst-a");
        var model = (ExternalModel)ModelLibrary.Get("one-compartment-iv");

        var researcher = hpc.ClientAs("researcher", "inst-a", subject: "erin-external");
        var listed = await researcher.GetFromJsonAsync<JsonElement>("/api/runs/models");
        var summary = listed.EnumerateArray().Single(m => m.GetProperty("id").GetString() == "one-compartment-iv");
        summary.GetProperty("executor").GetString().Should().Be("local-process");
        summary.GetProperty("installed").GetBoolean().Should().BeTrue("the answering silo's process registered the code (inst-b's host shares it)");
        // Which silos have the code comes from the cluster (their metadata), not from the answering process.
        var host = summary.GetProperty("hosts").EnumerateArray().Should().ContainSingle().Subject;
        host.GetProperty("institutions").EnumerateArray().Select(i => i.GetString()).Should().Equal("inst-b");
        host.GetProperty("role").GetString().Should().Be("data");
        var described = await researcher.GetFromJsonAsync<JsonElement>("/api/runs/models/one-compartment-iv");
        described.GetProperty("hosts").EnumerateArray().Select(h => h.GetProperty("silo").GetString()).Should().Equal(host.GetProperty("silo").GetString());
        described.GetProperty("codeDigest").GetString().Should().Be(model.CodeDigest);
        described.GetProperty("network").GetString().Should().Be("none", "its processes run without a network, the default (the runs below run so)");
        described.GetProperty("protocol").GetString().Should().Be(ExternalProcessSimulator.SubjectProtocol);
        described.GetProperty("scenarios").EnumerateArray().Select(s => s.GetProperty("name").GetString()).Should().Equal("reference", "daily");

        // A what-if plan schedules glucose inputs, which an external model has none of; a scenario it does not name is unknown: 400s.
        var refused = await researcher.PostAsync("/api/runs", Governance.GovernanceTestData.Body(new
        {
            kind = "single", model = "one-compartment-iv", plan = new { hours = 24, basalUnitsPerHour = 1 },
        }));
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest, await refused.Content.ReadAsStringAsync());
        var unknownScenario = await researcher.PostAsync("/api/runs", Governance.GovernanceTestData.Body(new { kind = "single", model = "one-compartment-iv", scenario = "weekly" }));
        unknownScenario.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await unknownScenario.Content.ReadAsStringAsync()).Should().Contain("daily", "the error lists the scenarios the model knows");

        // A model whose code no live silo has: known (its descriptor is registered), refused with the fix, nothing recorded.
        var nowhere = Directory.CreateDirectory(Path.Combine(TestPostgres.NewTemporaryFolder("external-nowhere"), "nowhere")).FullName;
        File.WriteAllText(Path.Combine(nowhere, "nowhere.model.json"), """
            { "id": "nowhere-code-test", "version": "1.0.0", "title": "a code on no silo", "timeUnit": "h",
              "parameters": [ { "name": "a", "value": 1, "lower": 0, "upper": 2, "cohortCv": 0.1 } ], "outputs": [ { "name": "b" } ],
              "scenarios": [ { "name": "reference", "duration": 24 } ], "executor": { "command": "a-solver-on-no-silo" } }
            """);
        ExternalModel.RegisterFolder(nowhere);
        (await researcher.GetFromJsonAsync<JsonElement>("/api/runs/models/nowhere-code-test")).GetProperty("hosts").GetArrayLength().Should().Be(0);
        var noHost = await researcher.PostAsync("/api/runs", Governance.GovernanceTestData.Body(new { kind = "cohort-trial", model = "nowhere-code-test", size = 4, seed = 1 }));
        noHost.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await noHost.Content.ReadAsStringAsync()).Should().Contain("No live silo has the code of external model 'nowhere-code-test'")
            .And.Contain("Dth:Runs:ExternalModels");
        (await researcher.GetFromJsonAsync<JsonElement>("/api/runs")).GetProperty("total").GetInt32().Should().Be(0, "a refused submission records nothing");

        var id = await SubmitAsync(researcher, new { kind = "cohort-trial", model = "one-compartment-iv", size = 24, shardSize = 6, seed = 11, outputStep = 4 });
        var run = await WaitForStatusAsync(researcher, id, "completed", seconds: 120);
        run.GetProperty("subjectsDone").GetInt64().Should().Be(24);

        // Every shard on inst-b's silo, the only one with the code.
        var shards = (await hpc.Services.GetRequiredService<Grains.Platform.EventLog>().ReadAsync(RunEventTypes.StreamOf(id)))
            .Select(e => e.Data).OfType<ShardCompleted>().ToList();
        shards.Should().HaveCount(4);
        shards.Should().OnlyContain(s => s.SiloInstitutions!.Contains("inst-b") && s.SiloRole == "data");

        // The numbers are the code's: each subject's final concentration is the closed form at its drawn CL and V.
        var results = await researcher.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/results");
        results.GetProperty("provenance").GetProperty("modelCodeDigest").GetString().Should().Be(model.CodeDigest);
        var plan = RunPlanner.Plan(new Contracts.Runs.RunRequest(Contracts.Runs.RunKind.CohortTrial, "one-compartment-iv", Size: 24, Seed: 11, ShardSize: 6, OutputStep: 4)).Plan!;
        var subjects = RunPlanner.SubjectsOf(plan);
        var p = new double[3];
        foreach (var subject in results.GetProperty("subjects").EnumerateArray())
        {
            var i = subject.GetProperty("subject").GetInt64();
            subjects.Parameters(i, p);
            subject.GetProperty("values")[3].GetDouble().Should().BeApproximately(p[2] / p[1] * Math.Exp(-p[0] / p[1] * 24), 1e-12, "C at 24 h of subject {0}", i);
        }

        // The same code in batches (one process for the run's one shard of 24), under the limits its descriptor sets: the
        // same numbers, subject by subject.
        var limits = (await researcher.GetFromJsonAsync<JsonElement>("/api/runs/models/one-compartment-iv-batch")).GetProperty("limits");
        (limits.GetProperty("memoryMiB").GetInt32(), limits.GetProperty("cpuSeconds").GetInt32()).Should().Be((512, 10));
        described.TryGetProperty("limits", out var none).Should().Be(false, "a model without limits shows none ({0})", none);
        var batchId = await SubmitAsync(researcher, new { kind = "cohort-trial", model = "one-compartment-iv-batch", size = 24, seed = 11, outputStep = 4 });
        var batchRun = await WaitForStatusAsync(researcher, batchId, "completed", seconds: 120);
        batchRun.GetProperty("subjectsDone").GetInt64().Should().Be(24);
        var batchResults = await researcher.GetFromJsonAsync<JsonElement>($"/api/runs/{batchId}/results");
        batchResults.GetProperty("subjects").EnumerateArray().Select(x => x.GetProperty("values").GetRawText())
            .Should().Equal(results.GetProperty("subjects").EnumerateArray().Select(x => x.GetProperty("values").GetRawText()));

        // The RO-Crate names the code by its digest.
        var zip = new ZipArchive(new MemoryStream(await researcher.GetByteArrayAsync($"/api/runs/{id}/ro-crate")));
        var graph = JsonDocument.Parse(zip.GetEntry("ro-crate-metadata.json")!.Open()).RootElement.GetProperty("@graph").EnumerateArray().ToList();
        graph.Select(e => e.GetProperty("@id").GetString()).Should().OnlyHaveUniqueItems("an RO-Crate describes each entity once");
        graph.Single(e => e.GetProperty("@id").GetString() == "model.json").GetProperty("sha256").GetString().Should().Be(model.CodeDigest["sha256:".Length..]);

        // The CLI: the model listed as an external code, its page saying so, and a Monte-Carlo study of it followed to its table.
        var token = hpc.Token("researcher", "inst-a", subject: "erin-external");
        var list = await CliRunner.RunAsync(hpc.BaseAddress, token, "run", "models");
        list.Code.Should().Be(0, list.Output);
        list.Output.Should().Contain("one-compartment-iv").And.Contain("external (local-process, 1 live silo)").And.Contain("engine")
            .And.Contain("no live silo has it", "the code nobody hosts is flagged");
        var page = await CliRunner.RunAsync(hpc.BaseAddress, token, "run", "models", "one-compartment-iv");
        page.Code.Should().Be(0, page.Output);
        page.Output.Should().Contain("External code: a process per subject (dth.external-model/1)").And.Contain(model.CodeDigest)
            .And.Contain("Live silos with its code: ").And.Contain("(inst-b, data)");
        var study = await CliRunner.RunAsync(hpc.BaseAddress, token, "run", "submit", "--kind", "monte-carlo", "--model", "one-compartment-iv", "--cohort", "8",
            "--vary", "CL=0.3", "--duration", "24", "--step", "6", "--follow");
        study.Code.Should().Be(0, study.Output);
        study.Output.Should().Contain("completed").And.Contain("C").And.Contain("mg/L");

        // An auditor's re-run with the same code reproduces the run; with another code it is refused, naming both digests.
        var verified = await CliRunner.RunAsync(hpc.BaseAddress, token, "run", "verify", id, "--external-models", Examples);
        verified.Code.Should().Be(0, verified.Output);
        var crate = Path.Combine(TestPostgres.NewTemporaryFolder("external-crate"), "run.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(crate)!);
        await File.WriteAllBytesAsync(crate, await researcher.GetByteArrayAsync($"/api/runs/{id}/ro-crate"));
        var changed = Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(crate)!, "changed", "one-compartment")).FullName;
        foreach (var f in (string[])["one-compartment.model.json", "one_compartment.py"]) File.Copy(Path.Combine(Examples, "one-compartment", f), Path.Combine(changed, f));
        File.AppendAllText(Path.Combine(changed, "one_compartment.py"), "\n# a changed code\n");
        var other = await CliRunner.RunAsync(hpc.BaseAddress, token, "run", "verify", crate, "--external-models", Path.GetDirectoryName(changed)!);
        other.Code.Should().NotBe(0);
        // This test's process has the recorded code registered already, so the change is refused at registration; a
        // fresh CLI refuses it when it compares the digests. Either way the message names the recorded code.
        other.Output.Should().Contain(model.CodeDigest).And.Contain("--external-models");
    }

    [Fact]
    public async Task A_silo_that_stops_while_an_external_code_runs_kills_the_code_instead_of_leaving_it_running()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("external_stop", orleansSchema: true);
        var clusterId = $"external-stop-{Guid.NewGuid():N}";
        var key = Path.Combine(TestPostgres.NewTemporaryFolder("external-stop-key"), "key.pem");
        // A code that never answers: each start notes a marker beside it, then sleeps in a process that carries it.
        var folder = Directory.CreateDirectory(Path.Combine(TestPostgres.NewTemporaryFolder("external-stop"), "hang")).FullName;
        ExternalCodes.Hanging(folder, "hang-test");
        string[] Started() => ExternalCodes.Started(folder);

        var api = await TestHost.StartAsync("inst-a", role: "hpc", connectionString: connectionString, clusterId: clusterId, alsoHosts: [], signingKeyPath: key);
        try
        {
            var withCode = await TestHost.StartAsync("inst-b", role: "data", connectionString: connectionString, clusterId: clusterId, alsoHosts: [],
                signingKeyPath: key, settings: new Dictionary<string, string?> { ["Dth:Runs:ExternalModels"] = folder });
            await Eventually.Until(() => Task.FromResult(api.Services.GetRequiredService<Grains.Federation.InstitutionSilos>().LiveSilosOf("inst-b").Count), n => n == 1,
                TimeSpan.FromSeconds(30), "inst-b's silo to be visible from inst-a");
            var researcher = api.ClientAs("researcher", "inst-a", subject: "erin-stop");
            await SubmitAsync(researcher, new { kind = "single", model = "hang-test" });
            var first = (await Eventually.Until(() => Task.FromResult(Started()), p => p.Length > 0, TimeSpan.FromSeconds(60), "the code to start on inst-b"))[0];
            ExternalCodes.IsRunning(first).Should().BeTrue();

            // A graceful stop: the worker's activation goes, and its code with it.
            await withCode.DisposeAsync();
            await Eventually.Until(() => Task.FromResult(ExternalCodes.IsRunning(first)), running => !running, TimeSpan.FromSeconds(30), "the stopped silo's code to be killed");
        }
        finally
        {
            await api.DisposeAsync();
        }
        // The run went on without inst-b (its shard asked of a silo without the code's metadata, which in this test's
        // one process can start it): that one went with its silo too.
        Started().Should().OnlyContain(marker => !ExternalCodes.IsRunning(marker));
    }

    [Fact]
    public async Task A_code_cannot_read_the_silos_signing_key_or_data_folder_nor_see_its_process_but_reads_its_own_files()
    {
        // A code that reports what it can read: the silo's key (non-empty), a file in the silo's data folder, its own script;
        // and how many processes it sees.
        var folder = TestPostgres.NewTemporaryFolder("external-secrets");
        var key = Path.Combine(folder, "identity", "key.pem");
        var data = Directory.CreateDirectory(Path.Combine(folder, "silo-data")).FullName;
        File.WriteAllText(Path.Combine(data, "canary"), "a file of the silo's");
        var models = Directory.CreateDirectory(Path.Combine(folder, "models")).FullName;
        ExternalCodes.Probing(models, "peek-secrets-test", [("key", ExternalCodes.Readable(key)), ("data", ExternalCodes.Readable(Path.Combine(data, "canary"))),
            ("own", ExternalCodes.Readable(Path.Combine(models, "probe.sh"))), ("processes", ExternalCodes.ProcessesSeen), ("ipc", ExternalCodes.SharedMemorySeen)],
            network: "host");
        await using var host = await TestHost.StartAsync("inst-a", role: "hpc", signingKeyPath: key,
            settings: new Dictionary<string, string?> { ["Dth:Runs:ExternalModels"] = models, ["Dth:DataDirectory"] = data });
        new FileInfo(key).Length.Should().BePositive("the silo wrote its signing key there");
        // A shared memory segment of the host's: a code that could see it could pass data to another code through one.
        var segment = Run("ipcmk", "-M", "4096").Split(':')[^1].Trim();
        try
        {
            Run("ipcs", "-m").Should().Contain(segment, "the host sees its segment");
            var values = await ValuesOfASingleRunAsync(host.ClientAs("researcher", "inst-a", subject: "erin-peek"), "peek-secrets-test");
            // min, mean, max and final of key, data, own, processes and segments: the code saw its own script and nothing of
            // the silo's, no process but its PID namespace's first and itself, and no shared memory of the host's.
            values.Should().Equal([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0]);
        }
        finally
        {
            Run("ipcrm", "-m", segment);
        }

        // Operators see the process in the silo's metrics, by model and how it ended, and in dth cluster metrics.
        var scraped = await host.ClientAs("platform-admin", "bsc").GetAsync("/metrics");
        scraped.StatusCode.Should().Be(HttpStatusCode.OK);
        var samples = PrometheusText.Parse(await scraped.Content.ReadAsStringAsync());
        (string, string) peek = ("model", "peek-secrets-test");
        PrometheusText.Sum(samples, "dth_runs_external_processes_total", peek, ("outcome", "completed")).Should().Be(1);
        PrometheusText.Sum(samples, "dth_runs_external_processes_total", peek).Should().Be(1, "one process, counted once");
        PrometheusText.Sum(samples, "dth_runs_external_process_duration_seconds_count", peek, ("outcome", "completed")).Should().Be(1);
        var (code, output) = await CliRunner.RunAsync(host.BaseAddress, host.Token("platform-admin", "bsc"), "cluster", "metrics");
        code.Should().Be(0, output);
        output.Should().Contain("External codes' processes, by model").And.Contain("peek-secrets-test");
    }

    [Fact]
    public async Task A_code_cannot_read_the_silos_configuration_files_nor_what_the_operator_hides_but_reads_the_rest_and_writes_only_its_scratch()
    {
        // What the operator lists under Dth:Runs:HideFromCodes (a folder, and a file elsewhere), and the profile's json the
        // silo read its configuration from (a federation's may hold a database password); a file beside them stays in sight.
        var folder = TestPostgres.NewTemporaryFolder("external-hide-more");
        var secrets = Directory.CreateDirectory(Path.Combine(folder, "credentials")).FullName;
        File.WriteAllText(Path.Combine(secrets, "token"), "a credential");
        var share = Directory.CreateDirectory(Path.Combine(folder, "share")).FullName;
        var secretFile = Path.Combine(share, "password.txt");
        File.WriteAllText(secretFile, "a password");
        File.WriteAllText(Path.Combine(share, "public.txt"), "anyone may read this");
        var profile = Path.Combine(AppContext.BaseDirectory, "silo-config", "standalone.json");
        File.Exists(profile).Should().BeTrue("the test hosts read the standalone profile");
        var models = Directory.CreateDirectory(Path.Combine(folder, "models")).FullName;
        ExternalCodes.Probing(models, "peek-hidden-test", [("listed", ExternalCodes.Readable(Path.Combine(secrets, "token"))), ("file", ExternalCodes.Readable(secretFile)),
            ("profile", ExternalCodes.Readable(profile)), ("beside", ExternalCodes.Readable(Path.Combine(share, "public.txt"))),
            ("write_beside", ExternalCodes.Writable(Path.Combine(share, "written.txt"))), ("write_models", ExternalCodes.Writable(Path.Combine(models, "written.txt"))),
            ("write_scratch", ExternalCodes.Writable("written.txt"))]);
        // A code that only tries to write (below the models' folder: a silo reads descriptors in subfolders too).
        var writes = Directory.CreateDirectory(Path.Combine(models, "writes")).FullName;
        ExternalCodes.Probing(writes, "try-writes-test", [("write_beside", ExternalCodes.Writable(Path.Combine(share, "written.txt"))),
            ("write_models", ExternalCodes.Writable(Path.Combine(writes, "written.txt"))), ("write_scratch", ExternalCodes.Writable("written.txt"))]);
        // Both forms of the list: children of the key here, one value separated by ':' in the refusal below.
        await using var host = await TestHost.StartAsync("inst-a", role: "hpc", settings: new Dictionary<string, string?>
        {
            ["Dth:Runs:ExternalModels"] = models, ["Dth:Runs:HideFromCodes:0"] = secrets, ["Dth:Runs:HideFromCodes:1"] = secretFile,
        });

        // Beside them, its user's credentials where the common tools keep them (the hiding itself is tested on a home of
        // the test's in the simulation tests, and under a real dth in SimExternalCliTests).
        ExternalModel.HiddenFromCodes.Should().Contain(ExternalModel.CredentialsOf(ExternalModel.UserHome)).And.Contain(Path.Combine(ExternalModel.UserHome, ".ssh"));

        var values = await ValuesOfASingleRunAsync(host.ClientAs("researcher", "inst-a", subject: "erin-hidden"), "peek-hidden-test");
        // min, mean, max and final of listed, file, profile and beside; then of writing beside them, into the models'
        // folder, and into its working folder: it reads what is not hidden, and writes its scratch alone.
        values.Should().Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
        File.Exists(Path.Combine(share, "written.txt")).Should().BeFalse();
        File.Exists(Path.Combine(models, "written.txt")).Should().BeFalse();

        // An auditor's re-run (a real dth, on this machine, where nothing is hidden) confines the code's writes as the
        // silo did: the same values, and nothing written (the code above reads what is hidden only on the silo).
        var writer = host.ClientAs("researcher", "inst-a", subject: "erin-writes");
        var id = await SubmitAsync(writer, new { kind = "single", model = "try-writes-test", outputStep = 1 });
        await WaitForStatusAsync(writer, id, "completed");
        var crate = Path.Combine(folder, "writes.zip");
        await File.WriteAllBytesAsync(crate, await writer.GetByteArrayAsync($"/api/runs/{id}/ro-crate"));
        var (code, output, errors) = await DthProcess.RunAsync("run", "verify", crate, "--external-models", writes);
        code.Should().Be(0, output + errors);
        output.Should().Contain("Reproduced: writes.zip");
        File.Exists(Path.Combine(share, "written.txt")).Should().BeFalse();
        File.Exists(Path.Combine(writes, "written.txt")).Should().BeFalse();

        var inside = () => TestHost.StartAsync("inst-a", settings: new Dictionary<string, string?>
        {
            ["Dth:Runs:ExternalModels"] = models, ["Dth:Runs:HideFromCodes"] = secrets + Path.PathSeparator + folder,
        });
        (await inside.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain($"lies inside '{folder}', which is hidden from the codes (Dth:Runs:HideFromCodes)")
            .And.Contain("move the models out of it");
    }

    /// <summary>A single run of <paramref name="model"/>, completed: its one subject's values (min, mean, max and final of each output).</summary>
    private static async Task<double[]> ValuesOfASingleRunAsync(HttpClient researcher, string model)
    {
        var id = await SubmitAsync(researcher, new { kind = "single", model, outputStep = 1 });
        (await WaitForStatusAsync(researcher, id, "completed")).GetProperty("subjectsDone").GetInt64().Should().Be(1);
        return [.. (await researcher.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/results")).GetProperty("subjects")[0].GetProperty("values")
            .EnumerateArray().Select(v => v.GetDouble())];
    }

    [Fact]
    public void A_silo_refuses_to_start_with_its_external_models_or_temporary_folder_among_its_users_credentials()
    {
        // A home of the test's, whose .ssh holds the models: the codes could not see their own files.
        var home = TestPostgres.NewTemporaryFolder("external-home");
        var models = Directory.CreateDirectory(Path.Combine(home, ".ssh", "models")).FullName;
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Dth:Runs:ExternalModels"] = models }).Build();
        var options = new DthOptions { DataDirectory = Path.Combine(home, "silo-data") };

        var hide = () => ExternalModelsSetup.HideSecrets(settings, options, home);

        hide.Should().Throw<InvalidOperationException>().Which.Message.Should()
            .Contain($"lies inside '{Path.Combine(home, ".ssh")}', which is hidden from the codes (its user's credentials): move the models out of it.");
        // Elsewhere, the registration hides the home's credentials.
        var elsewhere = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Dth:Runs:ExternalModels"] = Directory.CreateDirectory(Path.Combine(home, "models")).FullName }).Build();
        using (ExternalModelsSetup.HideSecrets(elsewhere, options, home))
            ExternalModel.HiddenFromCodes.Should().Contain(ExternalModel.CredentialsOf(home));
    }

    [Fact]
    public async Task A_silo_refuses_to_start_with_its_external_models_inside_its_data_folder()
    {
        var data = TestPostgres.NewTemporaryFolder("external-inside");
        var models = Directory.CreateDirectory(Path.Combine(data, "models")).FullName;
        var start = () => TestHost.StartAsync("inst-a", settings: new Dictionary<string, string?> { ["Dth:Runs:ExternalModels"] = models, ["Dth:DataDirectory"] = data });
        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("lies inside the silo's data folder").And.Contain("move it out");
    }

    [Fact]
    public async Task A_silo_refuses_to_start_with_its_temporary_folder_hidden_from_its_codes()
    {
        // Each code works in a folder made in the temporary folder, with its scratch mounted over it: no code could start.
        var models = Directory.CreateDirectory(Path.Combine(TestPostgres.NewTemporaryFolder("external-tmpdir"), "models")).FullName;
        var temporary = Path.TrimEndingDirectorySeparator(Path.GetTempPath());
        var start = () => TestHost.StartAsync("inst-a", settings: new Dictionary<string, string?> { ["Dth:Runs:ExternalModels"] = models, ["Dth:Runs:HideFromCodes"] = temporary });
        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should()
            .Contain($"The temporary folder '{temporary}' (TMPDIR)").And.Contain("Dth:Runs:HideFromCodes").And.Contain("set TMPDIR to a folder outside it");
    }

    /// <summary>Runs a util-linux tool and returns what it printed (it must succeed).</summary>
    private static string Run(string tool, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, $"{tool} {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
        return output;
    }
}
