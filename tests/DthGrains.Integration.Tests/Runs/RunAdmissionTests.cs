using System.Net;
using System.Text.Json;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Simulation.Models;
using Microsoft.Extensions.DependencyInjection;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;
using static DthGrains.Integration.Tests.Runs.RunTestData;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// A host whose researchers may have 2 unfinished runs each and keep 25 Hovorka subjects' rows, and whose shards wait at
/// a gate (so runs stay unfinished), but those of runs with seed <see cref="PassingSeed"/>.
/// </summary>
public sealed class AdmissionHostFixture : IAsyncLifetime
{
    public const int Cap = 2;
    public const ulong PassingSeed = 777;

    public static readonly long RowBytesPerSubject = RunAdmission.RowBytesPerSubject(RunKind.CohortTrial, ModelLibrary.Get("hovorka").Info.Outputs.Count);
    public static readonly long Quota = 25 * RowBytesPerSubject;

    public TestShardGate Gate { get; } = new(w => w.Request.Seed != PassingSeed);

    public TestHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await TestHost.StartAsync("charite", alsoHosts: [],
        services: s =>
        {
            s.AddSingleton<IShardGate>(Gate);
            s.Configure<RunOptions>(o =>
            {
                o.MaxActiveRunsPerResearcher = Cap;
                o.RowsQuotaPerResearcher = Quota;
            });
        });

    public async Task DisposeAsync()
    {
        Gate.Open();
        await Host.DisposeAsync();
    }
}

/// <summary>
/// The cap on one researcher's unfinished runs (a 429 that names them, exact under concurrent submissions, per researcher)
/// and the quota on the per-subject rows they keep (a 403 that says how to make room).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RunAdmissionTests(AdmissionHostFixture fixture) : IClassFixture<AdmissionHostFixture>
{
    private const int Cap = AdmissionHostFixture.Cap;
    private readonly TestHost _host = fixture.Host;

    private HttpClient Researcher(string name) => _host.ClientAs("researcher", "tum", subject: $"{name}-{Guid.NewGuid():N}"[..20]);

    private static object Small(ulong seed) => new { kind = "cohort-trial", model = "hovorka", size = 10, seed, duration = 60 };

    private static async Task<int> TotalAsync(HttpClient client) =>
        (await JsonOf(await client.GetAsync("/api/runs?limit=100"))).GetProperty("total").GetInt32();

    [Fact]
    public async Task Past_the_cap_a_submission_is_a_429_naming_the_unfinished_runs_and_records_nothing()
    {
        var carla = Researcher("carla");
        var held = new List<string>();
        for (var i = 0; i < Cap; i++) held.Add(await SubmitAsync(carla, Small((ulong)i)));

        var refused = await carla.PostAsync("/api/runs", Body(Small(99)));
        refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        refused.Headers.RetryAfter.Should().BeNull("a slot frees when a run ends, not after a time the platform could name");
        var detail = (await JsonOf(refused)).GetProperty("detail").GetString();
        detail.Should().Contain($"You have {Cap} unfinished runs").And.Contain(held[0]).And.Contain(held[1]).And.Contain("dth run cancel");
        (await TotalAsync(carla)).Should().Be(Cap, "the refused submission recorded no run");

        // A request that is wrong in itself says so, even at the cap.
        (await carla.PostAsync("/api/runs", Body(new { kind = "cohort-trial", model = "nope", size = 10 }))).StatusCode.Should().Be(HttpStatusCode.BadRequest);

        // Another researcher is not affected.
        await SubmitAsync(Researcher("dora"), Small(1));

        // Cancelling one frees its slot.
        (await carla.PostAsync($"/api/runs/{held[0]}/cancel", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        await SubmitAsync(carla, Small(100));
        (await carla.PostAsync("/api/runs", Body(Small(101)))).StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task Submissions_sent_at_once_are_admitted_up_to_the_cap_exactly()
    {
        var erin = Researcher("erin");
        var answers = await Task.WhenAll(Enumerable.Range(0, Cap + 4).Select(i => erin.PostAsync("/api/runs", Body(Small((ulong)i)))));

        answers.Count(a => a.StatusCode == HttpStatusCode.Accepted).Should().Be(Cap);
        answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests).Should().Be(4);
        (await TotalAsync(erin)).Should().Be(Cap);
    }

    [Fact]
    public async Task A_repeated_submission_of_an_admitted_run_is_answered_as_the_first_at_the_cap()
    {
        var fay = Researcher("fay");
        HttpRequestMessage Keyed(ulong seed)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = Body(Small(seed)) };
            request.Headers.Add("Idempotency-Key", $"fay-{seed}");
            return request;
        }
        var first = await fay.SendAsync(Keyed(1));
        first.StatusCode.Should().Be(HttpStatusCode.Accepted);
        await SubmitAsync(fay, Small(2));

        var repeat = await fay.SendAsync(Keyed(1));
        repeat.StatusCode.Should().Be(HttpStatusCode.Accepted, "the repeat is the run already counted, not a new one");
        repeat.Headers.Location.Should().Be(first.Headers.Location);
        (await fay.SendAsync(Keyed(3))).StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task A_run_whose_rows_would_pass_the_storage_quota_is_refused_until_rows_are_released()
    {
        var gus = Researcher("gus");
        var kept = await SubmitAsync(gus, new { kind = "cohort-trial", model = "hovorka", size = 12, seed = AdmissionHostFixture.PassingSeed, duration = 60 });
        var done = await WaitForStatusAsync(gus, kept, "completed");
        done.GetProperty("rowBytes").GetInt64().Should().Be(12 * AdmissionHostFixture.RowBytesPerSubject, "what the run keeps in dth.run_rows");
        await SubmitAsync(gus, Small(1)); // held: 10 subjects' rows still to come; 22 of 25 in all

        var refused = await gus.PostAsync("/api/runs", Body(new { kind = "cohort-trial", model = "hovorka", size = 5, seed = 2, duration = 60 }));
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var detail = (await JsonOf(refused)).GetProperty("detail").GetString();
        detail.Should().Contain("you keep 1.5 KiB").And.Contain("your unfinished runs will add 1.3 KiB").And.Contain("dth run release-rows");
        (await TotalAsync(gus)).Should().Be(2, "the refused submission recorded no run");

        (await gus.PostAsync($"/api/runs/{kept}/rows/release", Body(new { reason = "read them" }))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await JsonOf(await gus.GetAsync($"/api/runs/{kept}"))).GetProperty("rowBytes").GetInt64().Should().Be(0);
        await SubmitAsync(gus, new { kind = "cohort-trial", model = "hovorka", size = 5, seed = 2, duration = 60 });
    }

    [Fact]
    public async Task Usage_shows_what_a_researcher_holds_against_the_caps_and_the_cli_tables_it()
    {
        var subject = $"hal-{Guid.NewGuid():N}"[..16];
        var hal = _host.ClientAs("researcher", "tum", subject: subject);
        var first = await SubmitAsync(hal, Small(1));
        var second = await SubmitAsync(hal, Small(2));

        var usage = await JsonOf(await hal.GetAsync("/api/runs/usage"));
        usage.GetProperty("unfinishedRuns").EnumerateArray().Select(r => r.GetString()).Should().Equal(first, second);
        usage.GetProperty("maxUnfinishedRuns").GetInt32().Should().Be(Cap);
        usage.GetProperty("rowBytesKept").GetInt64().Should().Be(0);
        usage.GetProperty("rowBytesComing").GetInt64().Should().Be(20 * AdmissionHostFixture.RowBytesPerSubject);
        usage.GetProperty("rowsQuota").GetInt64().Should().Be(AdmissionHostFixture.Quota);

        // An operator sees the same for the researcher; another researcher may not.
        var seen = await JsonOf(await _host.ClientAs("platform-admin", "bsc").GetAsync($"/api/runs/usage?owner={subject}"));
        seen.GetProperty("unfinishedRuns").EnumerateArray().Select(r => r.GetString()).Should().Equal(first, second);
        (await Researcher("jan").GetAsync($"/api/runs/usage?owner={subject}")).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var (code, output) = await CliRunner.RunAsync(_host.BaseAddress, _host.Token("researcher", "tum", subject), "run", "usage");
        code.Should().Be(0, output);
        output.Should().Contain("unfinished runs").And.Contain("2.5 KiB coming").And.Contain("3.1 KiB").And.Contain(first).And.Contain("At the cap");
    }

    [Fact]
    public async Task Admissions_and_refusals_are_counted_for_the_silos_operators_by_reason()
    {
        using var metrics = new RunMetricsRecorder();
        var ivo = Researcher("ivo");
        for (var i = 0; i < Cap; i++) await SubmitAsync(ivo, Small((ulong)i));
        (await ivo.PostAsync("/api/runs", Body(Small(9)))).StatusCode.Should().Be(HttpStatusCode.TooManyRequests);

        metrics.Total("dth.runs.admitted").Should().BeGreaterThanOrEqualTo(Cap);
        metrics.Total("dth.runs.refused", reason: "unfinished-runs").Should().Be(1);
        metrics.Total("dth.runs.refused", reason: "rows-quota").Should().Be(0);
    }

    [Fact]
    public async Task The_cli_told_to_wait_at_the_cap_submits_once_one_of_the_runs_has_ended()
    {
        var subject = $"kim-{Guid.NewGuid():N}"[..16];
        var kim = _host.ClientAs("researcher", "tum", subject: subject);
        var held = new List<string>();
        for (var i = 0; i < Cap; i++) held.Add(await SubmitAsync(kim, Small((ulong)i)));
        using var metrics = new RunMetricsRecorder();

        var cli = CliRunner.RunAsync(_host.BaseAddress, _host.Token("researcher", "tum", subject),
            "run", "submit", "--model", "hovorka", "--cohort", "10", "--seed", "5", "--duration", "60", "--wait");
        // Once the CLI has met the cap (its refusal is counted), one run ends.
        await Eventually.Until(() => Task.FromResult(metrics.Total("dth.runs.refused", reason: "unfinished-runs")), n => n >= 1, TimeSpan.FromSeconds(60), "the CLI to meet the cap");
        (await kim.PostAsync($"/api/runs/{held[0]}/cancel", null)).StatusCode.Should().Be(HttpStatusCode.OK);

        var (code, output) = await cli.WaitAsync(TimeSpan.FromMinutes(2));
        code.Should().Be(0, output);
        output.Should().Contain("One of your runs has ended: submitting").And.Contain("Submitted run");
        (await TotalAsync(kim)).Should().Be(Cap + 1);
    }

    /// <summary>Adds up what the runs' meter reports while it lives.</summary>
    private sealed class RunMetricsRecorder : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private readonly List<(string Name, string? Reason, long Value)> _seen = [];

        public RunMetricsRecorder()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RunMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string? reason = null;
                foreach (var tag in tags)
                    if (tag.Key == "reason") reason = tag.Value as string;
                lock (_seen) _seen.Add((instrument.Name, reason, value));
            });
            _listener.Start();
        }

        public long Total(string name, string? reason = null)
        {
            lock (_seen) return _seen.Where(m => m.Name == name && (reason is null || m.Reason == reason)).Sum(m => m.Value);
        }

        public void Dispose() => _listener.Dispose();
    }
}
