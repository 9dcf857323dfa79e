using System.Collections.Concurrent;
using System.Text.Json;
using DthGrains.Cli.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace DthGrains.Integration.Tests.Cli;

/// <summary>
/// A real <c>dth run</c> against a stub platform that answers what a test needs: what goes to standard output (the
/// answer, that a script saves or parses) and what to standard error (status lines, spinners, errors).
/// </summary>
public sealed class RunCliStubTests : IAsyncLifetime, IDisposable
{
    private const string Run = """{"id":"r1","status":"completed","requestHash":"aa","shardsTotal":1,"subjectsTotal":2}""";
    private const string Csv = "subject,G\n1,5.5\n2,6.1\n";

    /// <summary>Answers to POST /api/runs, in order (then 202 with the run).</summary>
    private readonly ConcurrentQueue<int> _submissions = new();

    private readonly string _dir = Directory.CreateTempSubdirectory("dth-run-stub-").FullName;
    private StubPlatform _platform = null!;

    /// <summary>The event the run's stream ends with.</summary>
    private string _lastEvent = "runs.run_completed";

    public async Task InitializeAsync() => _platform = await StubPlatform.StartAsync(AnswerAsync);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task AnswerAsync(HttpContext http)
    {
        var path = http.Request.Path.Value;
        if (http.Request.Method == "POST" && path == "/api/runs")
        {
            if (_submissions.TryDequeue(out var status) && status == 429)
            {
                await StubPlatform.ProblemAsync(http, 429, "Too many unfinished runs");
                return;
            }
            http.Response.StatusCode = 202;
        }
        switch (path)
        {
            case "/api/runs" or "/api/runs/r1":
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync(Run);
                break;
            case "/api/runs/usage":
                await http.Response.WriteAsJsonAsync(new { unfinishedRuns = Array.Empty<string>(), maxUnfinishedRuns = 3, rowBytesKept = 0, rowBytesComing = 0, rowsQuota = 0 });
                break;
            case "/api/runs/r1/events":
                http.Response.ContentType = "text/event-stream";
                await http.Response.WriteAsync($"id: 1\nevent: {_lastEvent}\ndata: {{\"subjectsDone\":2,\"subjectsTotal\":2}}\n\n");
                break;
            case "/api/runs/r1/ro-crate":
                http.Response.ContentType = "application/zip";
                await http.Response.WriteAsync("PK-not-really-a-zip");
                break;
            case "/api/runs/r1/results":
                http.Response.ContentType = "text/csv";
                await http.Response.WriteAsync(Csv);
                break;
            default:
                await StubPlatform.ProblemAsync(http, 404, "Not found");
                break;
        }
    }

    /// <summary>A HOME of the test's: the developer's own ~/.config/dth/config.json must not decide.</summary>
    private Dictionary<string, string> Home() => new() { ["HOME"] = _dir };

    private Task<(int Code, string Output, string Errors)> Dth(params string[] args) => DthProcess.RunAsync(Home(), [.. args, "--url", _platform.Url, "--token", "t"]);

    [Fact]
    public async Task A_followed_submission_in_json_prints_the_run_alone_on_standard_output()
    {
        var (code, output, errors) = await Dth("run", "submit", "--cohort", "2", "--follow", "--json");

        code.Should().Be(0, errors);
        JsonDocument.Parse(output).RootElement.GetProperty("id").GetString().Should().Be("r1", "standard output is the run's JSON, whole");
        errors.Should().Contain("Submitted run r1");
    }

    [Fact]
    public async Task A_submission_that_waits_at_the_cap_in_json_tells_its_wait_on_standard_error()
    {
        _submissions.Enqueue(429);

        var (code, output, errors) = await Dth("run", "submit", "--cohort", "2", "--wait", "--json");

        code.Should().Be(0, errors);
        JsonDocument.Parse(output).RootElement.GetProperty("id").GetString().Should().Be("r1");
        errors.Should().Contain("One of your runs has ended: submitting.");
    }

    [Fact]
    public async Task Results_printed_with_the_crate_saved_leave_standard_output_to_the_results()
    {
        var crate = Path.Combine(_dir, "run.zip");

        var (code, output, errors) = await Dth("run", "results", "r1", "--ro-crate", crate);

        code.Should().Be(0, errors);
        output.Should().Be(Csv, "'dth run results r1 --ro-crate run.zip > subjects.csv' saves the table alone");
        errors.Should().Contain("Wrote the RO-Crate to");
        File.Exists(crate).Should().BeTrue();
    }

    [Fact]
    public async Task A_download_cut_short_leaves_no_file_and_no_part_of_one()
    {
        var saved = Path.Combine(_dir, "subjects.csv");
        await using var platform = new RawHttpStub(_ => new RawHttpStub.Answer(200, "text/csv", Csv, CutShort: true));

        var (code, output, errors) = await DthProcess.RunAsync(Home(), "run", "results", "r1", "--out", saved, "--url", platform.Url, "--token", "t");

        code.Should().Be(4, errors);
        errors.Should().Contain("error: the connection to the platform dropped");
        output.Should().BeEmpty();
        Directory.GetFiles(_dir).Should().BeEmpty("no truncated subjects.csv, and no temporary file beside it");
    }

    [Theory]
    [InlineData("runs.run_completed", 0, null)]
    [InlineData("runs.run_failed", RunWatch.RunFailed, "run r1 failed.")]
    [InlineData("runs.run_cancelled", RunWatch.RunCancelled, "run r1 was cancelled.")]
    public async Task A_followed_run_exits_0_only_when_it_completed(string lastEvent, int exit, string? said)
    {
        _lastEvent = lastEvent;

        var (code, output, errors) = await Dth("run", "watch", "r1", "--json");

        code.Should().Be(exit, errors);
        JsonDocument.Parse(output).RootElement.GetProperty("id").GetString().Should().Be("r1", "the run is printed however it ended");
        if (said is not null) errors.Should().Contain($"error: {said}");
    }

    [Fact]
    public async Task A_stream_dropped_mid_way_is_resumed_after_the_last_event_seen()
    {
        var streams = new ConcurrentQueue<string?>();
        await using var platform = new RawHttpStub(request =>
        {
            if (request.Path != "/api/runs/r1/events") return new RawHttpStub.Answer(200, "application/json", Run);
            streams.Enqueue(request.Headers.GetValueOrDefault("Last-Event-ID"));
            return streams.Count == 1
                ? new RawHttpStub.Answer(200, "text/event-stream", "id: 7\nevent: runs.shard_completed\ndata: {\"subjectsDone\":1,\"subjectsTotal\":2}\n\n", CutShort: true)
                : new RawHttpStub.Answer(200, "text/event-stream", "id: 8\nevent: runs.run_completed\ndata: {\"subjectsDone\":2,\"subjectsTotal\":2}\n\n");
        });

        var (code, output, errors) = await DthProcess.RunAsync(Home(), "run", "watch", "r1", "--json", "--url", platform.Url, "--token", "t");

        code.Should().Be(0, errors);
        streams.Should().Equal("0", "7");
        JsonDocument.Parse(output).RootElement.GetProperty("id").GetString().Should().Be("r1");
    }
}
