using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Runs.RunTestData;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>Runs through the HTTP API of one seeded host: submit, follow, results with provenance, RO-Crate, bad input.</summary>
[Collection(HostCollection.Name)]
public sealed class RunApiTests(HostFixture fixture)
{
    private readonly TestHost _host = fixture.Host;

    /// <summary>An optional body sent empty is no body (a client that always sends Content-Type: application/json); a body that is not JSON is a 415.</summary>
    [Fact]
    public async Task An_empty_json_body_on_an_optional_body_route_is_no_reason_and_a_non_json_body_is_415()
    {
        var carla = _host.ClientAs("researcher", "tum", subject: $"carla-{Guid.NewGuid():N}"[..16]);
        var id = await SubmitAsync(carla, Cohort(size: 20, shardSize: 10));
        await WaitForStatusAsync(carla, id, "completed");

        var notJson = await carla.PostAsync($"/api/runs/{id}/rows/release", new StringContent("kept the bands", System.Text.Encoding.UTF8, "text/plain"));
        notJson.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        (await carla.PostAsync("/api/twins", new StringContent("{}", System.Text.Encoding.UTF8, "text/plain"))).StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);

        var empty = await carla.PostAsync($"/api/runs/{id}/rows/release", new StringContent("", System.Text.Encoding.UTF8, "application/json"));
        empty.StatusCode.Should().Be(HttpStatusCode.OK, await empty.Content.ReadAsStringAsync());
    }

    /// <summary>A run's rows released while its results are being downloaded: the download breaks, it never just ends early.</summary>
    [Fact]
    public async Task Rows_released_during_a_csv_download_break_the_transfer_and_the_next_request_gets_410()
    {
        var carla = _host.ClientAs("researcher", "tum", subject: $"carla-{Guid.NewGuid():N}"[..16]);
        // Some 14 MB of CSV: far more than the socket buffers between server and client (under 2 MB on loopback), so the
        // server is still reading shards when the rows go.
        var id = await SubmitAsync(carla, Cohort(size: 60_000, shardSize: 500));
        await WaitForStatusAsync(carla, id, "completed", seconds: 300);
        using var response = await carla.GetAsync($"/api/runs/{id}/results?format=csv", HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long read = await body.ReadAsync(buffer);
        read.Should().BeGreaterThan(0);

        (await carla.PostAsync($"/api/runs/{id}/rows/release", Body(new { reason = "kept the bands" }))).StatusCode.Should().Be(HttpStatusCode.OK);
        var drain = async () =>
        {
            int n;
            while ((n = await body.ReadAsync(buffer)) > 0) read += n;
        };

        await drain.Should().ThrowAsync<IOException>("a table cut short must not look whole to the client");
        read.Should().BeLessThan(14_000_000);
        (await carla.GetAsync($"/api/runs/{id}/results?format=csv")).StatusCode.Should().Be(HttpStatusCode.Gone);
    }

    [Fact]
    public async Task A_cohort_trial_completes_with_bands_per_subject_results_provenance_and_an_ro_crate()
    {
        var carla = _host.ClientAs("researcher", "tum", subject: "carla-runs-api");
        // 12 shards: the results read them back in shard order, a batch of 8 at a time.
        var id = await SubmitAsync(carla, Cohort(size: 120, shardSize: 10));
        var run = await WaitForStatusAsync(carla, id, "completed");

        run.GetProperty("shardsDone").GetInt32().Should().Be(12);
        run.GetProperty("subjectsDone").GetInt64().Should().Be(120);
        run.GetProperty("modelId").GetString().Should().Be("hovorka-2004");
        run.GetProperty("requestHash").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
        var summary = run.GetProperty("summary");
        summary.GetProperty("individuals").GetInt64().Should().Be(120);
        summary.GetProperty("percentiles").GetArrayLength().Should().Be(5);
        summary.GetProperty("bands").GetArrayLength().Should().Be(summary.GetProperty("times").GetArrayLength() * summary.GetProperty("outputs").GetArrayLength() * 5);
        // How exact the bands are: per output, and per cell the floor at or below which a band only bounds the values.
        summary.GetProperty("bandAccuracy").GetArrayLength().Should().Be(summary.GetProperty("outputs").GetArrayLength());
        summary.GetProperty("bandFloors").GetArrayLength().Should().Be(summary.GetProperty("times").GetArrayLength() * summary.GetProperty("outputs").GetArrayLength());

        var results = await carla.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/results");
        results.GetProperty("subjects").GetArrayLength().Should().Be(120);
        results.GetProperty("provenance").GetProperty("engineVersion").GetString().Should().StartWith("dthgrains-simulation/");
        var csvResponse = await carla.GetAsync($"/api/runs/{id}/results?format=csv");
        csvResponse.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        var csv = await csvResponse.Content.ReadAsStringAsync();
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(121);
        // Written row by row (streamed), the table is still every subject in order, with the JSON's numbers.
        var subjects = results.GetProperty("subjects").EnumerateArray().ToList();
        for (int i = 0; i < subjects.Count; i++)
        {
            subjects[i].GetProperty("subject").GetInt64().Should().Be(i);
            var expected = subjects[i].GetProperty("values").EnumerateArray()
                .Select(v => v.ValueKind == JsonValueKind.Null ? "" : v.GetDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            lines[i + 1].Should().Be($"{i},{string.Join(',', expected)},", "every subject completed: its failure column is empty");
            subjects[i].TryGetProperty("failure", out _).Should().BeFalse();
        }

        var zip = new ZipArchive(new MemoryStream(await carla.GetByteArrayAsync($"/api/runs/{id}/ro-crate")));
        var metadata = JsonDocument.Parse(zip.GetEntry("ro-crate-metadata.json")!.Open()).RootElement;
        var graph = metadata.GetProperty("@graph").EnumerateArray().ToList();
        graph.Should().Contain(e => e.GetProperty("@id").GetString() == "#run" && e.GetProperty("@type").GetString() == "CreateAction");
        // The institutions whose silos computed the shards are the run's participants, each saying what it computed.
        var participants = graph.Single(e => e.GetProperty("@id").GetString() == "#run").GetProperty("participant").EnumerateArray()
            .Select(p => p.GetProperty("@id").GetString()).ToList();
        participants.Should().Contain("#organisation-charite");
        graph.Single(e => e.GetProperty("@id").GetString() == "#organisation-charite").GetProperty("description").GetString()
            .Should().MatchRegex(@"^Computed \d+ shards? \(\d+ subjects\) on its data silos of this run\.$");
        participants.Should().OnlyContain(p => graph.Any(e => e.GetProperty("@id").GetString() == p && e.GetProperty("@type").GetString() == "Organization"));
        graph.Single(e => e.GetProperty("@id").GetString() == "./").GetProperty("conformsTo").EnumerateArray()
            .Select(c => c.GetProperty("@id").GetString()).Should().Contain("https://w3id.org/ro/wfrun/workflow/0.5");
        using (var bands = new StreamReader(zip.GetEntry("results/bands.csv")!.Open()))
            (await bands.ReadLineAsync()).Should().Be("output,time,mean,sd,p5,p25,p50,p75,p95,floor");
        using (var crateCsv = new StreamReader(zip.GetEntry("results/subjects.csv")!.Open()))
            (await crateCsv.ReadToEndAsync()).Should().Be(csv, "the crate holds the same table of subjects as the results");

        // Someone else's run does not exist for them, nor its history or stream; an auditor sees both.
        var stranger = _host.ClientAs("researcher", "tum", subject: "someone-else");
        foreach (var path in new[] { "", "/history", "/events" })
            (await stranger.GetAsync($"/api/runs/{id}{path}")).StatusCode.Should().Be(HttpStatusCode.NotFound, path);
        var auditor = _host.ClientAs("auditor", "dth-oversight");
        (await auditor.GetAsync($"/api/runs/{id}/history")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await ReadEventsAsync(auditor, id)).Should().Contain(f => f.Event == "runs.run_completed");
    }

    [Fact]
    public async Task Subjects_that_fail_to_solve_are_counted_by_why_and_the_cli_says_what_to_change()
    {
        var carla = _host.ClientAs("researcher", "tum", subject: "carla-failures");
        // Two steps are not enough for anyone: every subject runs out of them.
        var id = await SubmitAsync(carla, new
        {
            kind = "cohort-trial", model = "hovorka", size = 30, seed = 5, duration = 60, outputStep = 10, shardSize = 10,
            solver = new { method = "dormand-prince45", maxSteps = 2 },
        });
        var run = await WaitForStatusAsync(carla, id, "completed");

        run.GetProperty("failed").GetInt64().Should().Be(30);
        run.GetProperty("failedBy").GetProperty("too-many-steps").GetInt64().Should().Be(30);
        run.GetProperty("summary").GetProperty("failedBy").GetProperty("too-many-steps").GetInt64().Should().Be(30);

        // Each subject's row says why, in the JSON and in the table's last column.
        var results = await carla.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/results");
        results.GetProperty("subjects").EnumerateArray().Select(r => r.GetProperty("failure").GetString()).Should().HaveCount(30).And.AllBe("too-many-steps");
        var csv = (await carla.GetStringAsync($"/api/runs/{id}/results?format=csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        csv[0].Should().EndWith(",failure");
        csv.Skip(1).Should().HaveCount(30).And.AllSatisfy(line => line.Should().EndWith(",too-many-steps"));

        var token = _host.Token("researcher", "tum", "carla-failures");
        var (code, output) = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "show", id);
        code.Should().Be(0, output);
        output.Should().Contain("30 subjects, too-many-steps").And.Contain("raise it");
    }

    /// <summary>
    /// The owner releases an ended run's per-subject rows: downloads of them answer 410 saying what stays and how to have
    /// them again, the summary and an RO-Crate without them stay, the release is in the run's history once.
    /// </summary>
    [Fact]
    public async Task An_ended_runs_rows_are_released_by_its_owner_and_downloads_then_say_so_with_410()
    {
        var carla = _host.ClientAs("researcher", "tum", subject: "carla-rows-release");
        var id = await SubmitAsync(carla, Cohort(size: 40, shardSize: 10));
        await WaitForStatusAsync(carla, id, "completed");
        (await carla.GetAsync($"/api/runs/{id}/results")).StatusCode.Should().Be(HttpStatusCode.OK);

        var stranger = _host.ClientAs("researcher", "tum", subject: "someone-else");
        (await stranger.PostAsync($"/api/runs/{id}/rows/release", null)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        var release = await carla.PostAsync($"/api/runs/{id}/rows/release", Body(new { reason = "kept the bands" }));
        release.StatusCode.Should().Be(HttpStatusCode.OK, await release.Content.ReadAsStringAsync());
        (await carla.PostAsync($"/api/runs/{id}/rows/release", null)).StatusCode.Should().Be(HttpStatusCode.OK, "releasing again changes nothing");

        foreach (var url in new[] { $"/api/runs/{id}/results", $"/api/runs/{id}/results?format=csv" })
        {
            var gone = await carla.GetAsync(url);
            gone.StatusCode.Should().Be(HttpStatusCode.Gone);
            gone.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            (await gone.Content.ReadAsStringAsync()).Should().Contain("carla-rows-release").And.Contain("kept the bands").And.Contain("same seed");
        }
        var run = await carla.GetFromJsonAsync<JsonElement>($"/api/runs/{id}");
        run.GetProperty("rowsReleased").GetProperty("by").GetString().Should().Be("carla-rows-release");
        run.GetProperty("summary").GetProperty("individuals").GetInt64().Should().Be(40, "the summary stays");
        var zip = new ZipArchive(new MemoryStream(await carla.GetByteArrayAsync($"/api/runs/{id}/ro-crate")));
        zip.GetEntry("results/subjects.csv").Should().BeNull();
        zip.GetEntry("results/bands.csv").Should().NotBeNull();
        var provenance = JsonDocument.Parse(zip.GetEntry("provenance.json")!.Open()).RootElement;
        provenance.GetProperty("rowsReleased").GetProperty("reason").GetString().Should().Be("kept the bands");
        var history = await carla.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/history");
        history.EnumerateArray().Count(e => e.GetProperty("eventType").GetString() == "runs.rows_released").Should().Be(1);

        // The run's event stream has the release after the end and then ends, also for a client resuming after it (it
        // used to wait for events that would not come).
        var frames = await ReadEventsAsync(carla, id).WaitAsync(TimeSpan.FromSeconds(20));
        frames.Where(f => f.Id is not null).Select(f => f.Event).TakeLast(2).Should().Equal("runs.run_completed", "runs.rows_released");
        var last = frames.Last(f => f.Id is not null).Id!.Value;
        (await ReadEventsAsync(carla, id, lastEventId: last).WaitAsync(TimeSpan.FromSeconds(20))).Where(f => f.Id is not null).Should().BeEmpty();
        (await ReadEventsAsync(carla, id, lastEventId: last - 1).WaitAsync(TimeSpan.FromSeconds(20))).Where(f => f.Id is not null).Select(f => f.Id).Should().Equal(last);
    }

    [Fact]
    public async Task The_event_stream_replays_every_durable_event_once_in_order_and_ends_with_the_terminal_one()
    {
        var carla = _host.ClientAs("researcher", "tum", subject: "carla-runs-sse");
        var id = await SubmitAsync(carla, Cohort(size: 100, shardSize: 20));
        await WaitForStatusAsync(carla, id, "completed");

        var all = (await ReadEventsAsync(carla, id)).Where(f => f.Id is not null).ToList();
        all.Select(f => f.Id!.Value).Should().Equal(Enumerable.Range(1, all.Count).Select(i => (long)i));
        all.Count.Should().Be(1 + 1 + 5 + 1, "submitted, started, five shards, completed");
        all[^1].Event.Should().Be("runs.run_completed");

        // Disconnect after three events and resume with Last-Event-ID: no gap, no duplicate.
        var first = (await ReadEventsAsync(carla, id, stopAfter: 3)).Where(f => f.Id is not null).ToList();
        var rest = (await ReadEventsAsync(carla, id, lastEventId: first[^1].Id)).Where(f => f.Id is not null).ToList();
        first.Concat(rest).Select(f => f.Id!.Value).Should().Equal(all.Select(f => f.Id!.Value));

        // Resumed at its last event, the ended run's stream has nothing more and closes; an id past it (another run's)
        // would skip every event to come and never close: refused.
        (await ReadEventsAsync(carla, id, lastEventId: all[^1].Id)).Where(f => f.Id is not null).Should().BeEmpty();
        using var past = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{id}/events");
        past.Headers.TryAddWithoutValidation("Last-Event-ID", (all[^1].Id!.Value + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var refused = await carla.SendAsync(past);
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).Should().Contain("past the run's last event");
    }

    [Fact]
    public async Task The_cli_submits_follows_and_prints_the_bands_and_an_auditor_replays_the_run()
    {
        var token = _host.Token("researcher", "tum", subject: "carla-runs-cli");
        var (code, output) = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "submit", "--model", "hovorka", "--cohort", "60", "--duration", "60", "--step", "10",
            "--shard-size", "20", "--seed", "5", "--follow");
        code.Should().Be(0, output);
        output.Should().Contain("completed").And.Contain("p95").And.Contain("60 subjects").And.Contain("percentiles within ±");
        output.Should().MatchRegex(@"computed at\s+charite[a-z, -]*\(data\): 3 shards, 60 subjects", "the run names whose silos computed it");
        output.Should().MatchRegex(@"shards by silo: 127\.0\.0\.1:\d+@\d+ \(charite, [a-z-]+(, [a-z-]+)*, data\) × 3", "each shard's silo named with its institutions and role");
        output.Should().MatchRegex(@"rows\s+\d+(\.\d+)? (B|KiB) kept: dth run results ", "the rows kept, and how to read or release them");

        var list = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "list", "--json");
        var id = JsonDocument.Parse(list.Output).RootElement.GetProperty("items")[0].GetProperty("id").GetString()!;
        var csv = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "results", id);
        csv.Output.Should().StartWith("subject,");
        // Saved to files (streamed to them): the same table, and the crate with it.
        var folder = Directory.CreateTempSubdirectory("dth-run-results-");
        try
        {
            var (file, zip) = (Path.Combine(folder.FullName, "subjects.csv"), Path.Combine(folder.FullName, "run.zip"));
            var saved = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "results", id, "--out", file, "--ro-crate", zip);
            saved.Code.Should().Be(0, saved.Output);
            (await File.ReadAllTextAsync(file)).Should().Be(csv.Output);
            using var crate = ZipFile.OpenRead(zip);
            using var crateCsv = new StreamReader(crate.GetEntry("results/subjects.csv")!.Open());
            (await crateCsv.ReadToEndAsync()).Should().Be(csv.Output);
            // An unknown run is an error, and no file is written for it.
            var missing = Path.Combine(folder.FullName, "missing.csv");
            var refused = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "results", "no-such-run", "--out", missing);
            refused.Code.Should().NotBe(0);
            File.Exists(missing).Should().BeFalse();
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        var replay = await _host.ClientAs("auditor", "dth-oversight").GetAsync($"/api/audit/streams/run:{id}?version=2");
        var text = await replay.Content.ReadAsStringAsync();
        replay.StatusCode.Should().Be(HttpStatusCode.OK, text);
        text.Should().Contain("running").And.Contain("hovorka");

        // The owner gives the rows' storage back; a later download says why there is none.
        var release = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "release-rows", id, "--reason", "bands are enough");
        release.Code.Should().Be(0, release.Output);
        release.Output.Should().Contain("released");
        var gone = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "results", id);
        gone.Code.Should().NotBe(0);
        gone.Output.Should().Contain("bands are enough").And.Contain("same seed");
        (await CliRunner.RunAsync(_host.BaseAddress, token, "run", "show", id)).Output.Should().MatchRegex(@"rows\s+released \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by carla-runs-cli \(bands are enough\)");
        // The crate is still saved, without the rows.
        var crateOnly = Path.Combine(Path.GetTempPath(), $"dth-released-{Guid.NewGuid():N}.zip");
        try
        {
            var saved = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "results", id, "--ro-crate", crateOnly);
            saved.Code.Should().NotBe(0, "the rows are gone");
            using var released = ZipFile.OpenRead(crateOnly);
            released.GetEntry("results/bands.csv").Should().NotBeNull();
            released.GetEntry("results/subjects.csv").Should().BeNull();
        }
        finally
        {
            File.Delete(crateOnly);
        }
    }

    [Fact]
    public async Task A_single_run_takes_an_inline_what_if_plan_for_a_glucose_model()
    {
        var carla = _host.ClientAs("researcher", "tum", subject: "carla-runs-plan");
        var id = await SubmitAsync(carla, new
        {
            kind = "single", model = "hovorka", outputStep = 5,
            plan = new { name = "two meals", hours = 12, basalUnitsPerHour = 0.9, meals = new object[] { new { atMinute = 60, carbohydrate = 50, bolusUnits = 4.0 }, new { atMinute = 360, carbohydrate = 70 } } },
        });
        var done = await WaitForStatusAsync(carla, id, "completed");
        var request = done.GetProperty("request");
        (!request.TryGetProperty("scenario", out var named) || named.ValueKind == JsonValueKind.Null).Should().BeTrue("the plan is the scenario");
        done.GetProperty("request").GetProperty("plan").GetProperty("meals")[1].GetProperty("bolusUnits").GetDouble().Should().Be(0, "normalised");
        done.GetProperty("summary").GetProperty("times").GetArrayLength().Should().Be(12 * 12 + 1);
    }

    [Fact]
    public async Task Bad_requests_get_problem_details_and_change_nothing()
    {
        var carla = _host.ClientAs("researcher", "tum", subject: "carla-runs-bad");
        var unknown = await carla.PostAsync("/api/runs", Body(new { kind = "cohort-trial", model = "nope", size = 10 }));
        unknown.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await unknown.Content.ReadAsStringAsync()).Should().Contain("model");
        (await carla.PostAsync("/api/runs", Body(new { kind = "cohort-trial", model = "hovorka", size = 10, status = "completed" }))).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await carla.PostAsync("/api/runs", Body(new { kind = "warp", model = "hovorka" }))).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await _host.ClientAs("auditor", "dth-oversight").PostAsync("/api/runs", Body(Cohort()))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var badPlan = await carla.PostAsync("/api/runs", Body(new { kind = "single", model = "hovorka", plan = new { hours = 6, basalUnitsPerHour = 0.9, meals = new[] { new { atMinute = 420, carbohydrate = 40 } } } }));
        badPlan.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badPlan.Content.ReadAsStringAsync()).Should().Contain("plan.meals[0].atMinute");
        (await carla.GetAsync("/api/runs/..%2f..")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        // A null where a range or an uncertain parameter goes was dereferenced by the planner: a 500.
        foreach (var (body, path) in new (object Body, string Path)[]
        {
            (new { kind = "sweep", model = "bergman", size = 4, ranges = new object?[] { null } }, "$.ranges[0]"),
            (new { kind = "monte-carlo", model = "bergman", size = 4, uncertain = new object?[] { null } }, "$.uncertain[0]"),
        })
        {
            var refused = await carla.PostAsync("/api/runs", Body(body));
            refused.StatusCode.Should().Be(HttpStatusCode.BadRequest, path);
            (await refused.Content.ReadAsStringAsync()).Should().Contain($"'{path}' must not be null");
        }
        // A negative period was a 500 (the output grid threw before the request was checked), through the admission grain too.
        var backwards = await carla.PostAsync("/api/runs", Body(new { kind = "cohort-trial", model = "hovorka", size = 10, duration = -1440 }));
        backwards.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await backwards.Content.ReadAsStringAsync()).Should().Contain("duration").And.Contain("greater than 0");
        // A number too large for a double reads as infinity, which passed the checks and failed the append (a 500): refused where it is read.
        foreach (var infinite in new[] { "\"outputStep\": 1e400", "\"solver\": {\"maxStep\": 1e400}", "\"solver\": {\"absoluteTolerance\": \"1e400\"}", "\"percentiles\": [-1e400]" })
        {
            var huge = await carla.PostAsync("/api/runs", new StringContent($"{{\"kind\": \"cohort-trial\", \"model\": \"hovorka\", \"size\": 10, {infinite}}}", System.Text.Encoding.UTF8, "application/json"));
            huge.StatusCode.Should().Be(HttpStatusCode.BadRequest, infinite);
            (await huge.Content.ReadAsStringAsync()).Should().Contain("out of range", infinite);
        }
        var page = await carla.GetFromJsonAsync<JsonElement>("/api/runs");
        page.GetProperty("total").GetInt32().Should().Be(0);
    }

    [Fact]
    public async Task A_client_reads_the_models_parameters_then_varies_them_and_an_unknown_name_is_told_where_to_look()
    {
        var carla = _host.ClientAs("researcher", "tum", subject: "carla-runs-models");
        var models = await carla.GetFromJsonAsync<JsonElement>("/api/runs/models");
        // The engine's models (an external one another test of this process registered has an executor and no alias).
        models.EnumerateArray().Where(m => !m.TryGetProperty("executor", out _)).Select(m => m.GetProperty("alias").GetString())
            .Should().BeEquivalentTo(["bergman", "hovorka", "windkessel", "pkpd"]);

        var pkpd = await carla.GetFromJsonAsync<JsonElement>("/api/runs/models/pkpd");
        pkpd.GetProperty("id").GetString().Should().Be("pkpd-2cmt-emax");
        var parameters = pkpd.GetProperty("parameters").EnumerateArray().ToList();
        parameters.Should().NotBeEmpty().And.OnlyContain(p => p.GetProperty("unit").GetString()!.Length > 0 && p.GetProperty("source").GetString()!.Length > 0);
        (await carla.GetFromJsonAsync<JsonElement>("/api/runs/models/pkpd-2cmt-emax")).GetProperty("parameters").GetArrayLength().Should().Be(parameters.Count);

        // The first two parameters the description names, varied by a Monte-Carlo study: accepted and completed.
        var names = parameters.Take(2).Select(p => p.GetProperty("name").GetString()!).ToArray();
        var id = await SubmitAsync(carla, new { kind = "monte-carlo", model = "pkpd", size = 20, seed = 5UL, uncertain = names.Select(n => new { parameter = n, cv = 0.2 }).ToArray() });
        (await WaitForStatusAsync(carla, id, "completed")).GetProperty("subjectsDone").GetInt64().Should().Be(20);

        var unknown = await carla.PostAsync("/api/runs", Body(new { kind = "monte-carlo", model = "pkpd", size = 20, uncertain = new[] { new { parameter = "V", cv = 0.2 } } }));
        unknown.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await unknown.Content.ReadAsStringAsync()).Should().Contain("has no parameter 'V'").And.Contain(string.Join(", ", parameters.Select(p => p.GetProperty("name").GetString())));

        var missing = await carla.GetAsync("/api/runs/models/no-such-model");
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await missing.Content.ReadAsStringAsync()).Should().Contain("hovorka-2004 (hovorka)");
        (await carla.GetAsync("/api/runs/models/..%2f..")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await _host.Client().GetAsync("/api/runs/models")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        // The CLI prints the same as tables.
        var token = _host.Token("researcher", "tum", subject: "carla-runs-models");
        var list = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "models");
        list.Code.Should().Be(0, list.Output);
        list.Output.Should().Contain("pkpd-2cmt-emax").And.Contain("windkessel");
        var one = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "models", "pkpd");
        one.Code.Should().Be(0, one.Output);
        one.Output.Should().Contain("Parameters (--vary").And.Contain(names[0]).And.Contain("Outputs").And.Contain("reference");
        // A Sobol study of the peak effect over two of the parameters the description names, followed to its indices.
        var sobol = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "submit", "--kind", "sensitivity", "--model", "pkpd", "--cohort", "32",
            "--vary", "CL=0.3", "--vary", "EC50=0.3", "--of", "E:max", "--follow");
        sobol.Code.Should().Be(0, sobol.Output);
        sobol.Output.Should().Contain("Sobol indices of max E").And.Contain("EC50").And.Contain(" ± ").And.Contain("32 base samples, 128 evaluations");
        var none = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "models", "no-such-model");
        none.Code.Should().NotBe(0);
        none.Output.Should().Contain("hovorka-2004 (hovorka)");
    }

    [Fact]
    public async Task A_sensitivity_study_of_several_targets_gives_each_its_indices_in_the_run_the_cli_the_crate_and_a_verification()
    {
        var token = _host.Token("researcher", "tum", subject: "carla-runs-targets");
        var carla = _host.ClientAs("researcher", "tum", "carla-runs-targets");
        var submitted = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "submit", "--kind", "sensitivity", "--model", "pkpd", "--cohort", "32",
            "--vary", "CL=0.3", "--vary", "EC50=0.3", "--of", "E:max, Cc:auc ,E", "--shard-size", "32", "--follow");
        submitted.Code.Should().Be(0, submitted.Output);
        submitted.Output.Should().Contain("Sobol indices of max E").And.Contain("Sobol indices of auc Cc").And.Contain("Sobol indices of mean E")
            .And.Contain("32 base samples, 128 evaluations", "three targets from the same 128 evaluations");

        var runs = JsonDocument.Parse((await CliRunner.RunAsync(_host.BaseAddress, token, "run", "list", "--json")).Output).RootElement;
        var id = runs.GetProperty("items")[0].GetProperty("id").GetString()!;
        var run = JsonDocument.Parse(await carla.GetStringAsync($"/api/runs/{id}")).RootElement;
        run.GetProperty("request").GetProperty("sensitivityAlso").EnumerateArray().Select(t => $"{t.GetProperty("output")}:{t.GetProperty("statistic")}")
            .Should().Equal("Cc:auc", "E:mean");
        var also = run.GetProperty("sensitivityAlso").EnumerateArray().ToList();
        also.Select(x => $"{x.GetProperty("output")}:{x.GetProperty("statistic")}").Should().Equal("Cc:auc", "E:mean");
        also.Should().AllSatisfy(x => x.GetProperty("firstOrder").GetArrayLength().Should().Be(2));
        // The mean effect depends on the potency; the exposure (auc of the concentration) does not at all.
        also[1].GetProperty("total")[1].GetDouble().Should().BeGreaterThan(0.01);
        also[0].GetProperty("total")[1].GetDouble().Should().BeLessThan(1e-9);

        var crate = new System.IO.Compression.ZipArchive(new MemoryStream(await carla.GetByteArrayAsync($"/api/runs/{id}/ro-crate")));
        crate.Entries.Select(e => e.FullName).Should().Contain(["results/sensitivity.json", "results/sensitivity-Cc-auc.json", "results/sensitivity-E-mean.json"]);
        var verified = await CliRunner.RunAsync(_host.BaseAddress, token, "run", "verify", id, "--sample", "1");
        verified.Code.Should().Be(0, verified.Output);
        (await CliRunner.RunAsync(_host.BaseAddress, token, "run", "verify", id)).Code.Should().Be(0);

        var twice = await carla.PostAsync("/api/runs", Governance.GovernanceTestData.Body(new
        {
            kind = "sensitivity", model = "pkpd", size = 8, uncertain = new[] { new { parameter = "CL", cv = 0.3 } },
            sensitivityOf = new { output = "E" }, sensitivityAlso = new[] { new { output = "E", statistic = "mean" } },
        }));
        twice.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await twice.Content.ReadAsStringAsync()).Should().Contain("'E:mean' is analysed twice");
    }
}
