using System.Text.RegularExpressions;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Cli.Runs;
using Microsoft.AspNetCore.Http;

namespace DthGrains.Integration.Tests.Cli;

/// <summary>
/// A real <c>dth</c> given what it cannot use: an <c>error:</c> line on standard error and a non-zero exit code, never
/// System.CommandLine's "Unhandled exception" with a stack trace, and nothing on standard output for a script to take
/// for the answer.
/// </summary>
public sealed partial class CliErrorTests : IDisposable
{
    /// <summary>Nothing listens there: a command that got as far as calling the platform would say it cannot reach it.</summary>
    private const string Nowhere = "http://127.0.0.1:9";

    private readonly string _dir = Directory.CreateTempSubdirectory("dth-errors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A HOME of the test's: the developer's own ~/.config/dth/config.json must not decide.</summary>
    private Dictionary<string, string> Home() => new() { ["HOME"] = _dir };

    [GeneratedRegex(@"^\s+at \S", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    private static void ShouldBeAnErrorLine((int Code, string Output, string Errors) run, int code, string message)
    {
        run.Code.Should().Be(code, run.Errors);
        run.Errors.Should().Contain("error: ").And.Contain(message).And.NotContain("Unhandled exception");
        StackFrame().IsMatch(run.Errors).Should().BeFalse($"no stack trace for a user's error:\n{run.Errors}");
        run.Output.Should().BeEmpty("standard output holds answers only");
    }

    [Theory]
    [InlineData("--sample 0", "--sample is the number of shards to re-run")]
    [InlineData("--catch abc", "--catch:")]
    [InlineData("--sample 2 --catch 5%", "give one of them")]
    public async Task A_verify_with_options_it_cannot_use_says_why_without_a_stack_trace(string options, string message)
    {
        var run = await DthProcess.RunAsync(Home(), ["run", "verify", "some-run", .. options.Split(' '), "--url", Nowhere]);

        ShouldBeAnErrorLine(run, 1, message);
    }

    [Fact]
    public async Task A_url_that_is_not_one_is_named_with_an_example()
    {
        var run = await DthProcess.RunAsync(Home(), "run", "show", "some-run", "--url", "foo");

        ShouldBeAnErrorLine(run, 1, "--url gives 'foo', which is not an http(s) URL");
    }

    [Fact]
    public async Task A_malformed_configuration_file_is_named_with_the_way_out()
    {
        var config = Path.Combine(_dir, ".config", "dth", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(config)!);
        await File.WriteAllTextAsync(config, """{"url": "http://127.0.0.1:9",""");

        var run = await DthProcess.RunAsync(Home(), "run", "show", "some-run");

        ShouldBeAnErrorLine(run, 1, $"{config} is not valid JSON");
        run.Errors.Should().Contain("fix or remove it");
    }

    [Fact]
    public async Task An_ecosystem_node_without_its_kind_is_shown_how_to_write_it()
    {
        var run = await DthProcess.RunAsync(Home(), "ecosystem", "show", "charite", "--url", Nowhere);

        ShouldBeAnErrorLine(run, 1, "'charite' is not kind:id, e.g. organisation:charite");
    }

    [Fact]
    public async Task A_token_from_a_key_that_is_no_key_or_for_no_time_is_refused_with_the_reason()
    {
        var key = Path.Combine(_dir, "not-a-key.pem");
        await File.WriteAllTextAsync(key, "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n");

        ShouldBeAnErrorLine(await DthProcess.RunAsync(Home(), "token", "--role", "researcher", "--key", key), 1, "holds no EC private key in PEM");
        ShouldBeAnErrorLine(await DthProcess.RunAsync(Home(), "token", "--role", "researcher", "--key", key, "--hours", "0"), 1, "--hours is the token's lifetime, more than 0");
    }

    [Fact]
    public async Task A_platform_error_goes_to_standard_error_and_a_json_answer_stays_clean()
    {
        await using var platform = await StubPlatform.StartAsync(http => StubPlatform.ProblemAsync(http, 404, "Run not found"));

        var run = await DthProcess.RunAsync(Home(), "run", "show", "no-such-run", "--json", "--url", platform.Url);

        ShouldBeAnErrorLine(run, 2, "404 Run not found");
    }

    [Fact]
    public async Task A_checkpoint_that_cannot_be_saved_says_where_without_a_stack_trace()
    {
        await using var platform = await StubPlatform.StartAsync(http => http.Response.WriteAsJsonAsync(new
        {
            number = 1, takenAt = "2026-01-01T00:00:00Z", root = "ab", streams = 1, events = 1, keyId = "k",
        }));
        var missing = Path.Combine(_dir, "missing", "cp.json");

        var run = await DthProcess.RunAsync(Home(), "audit", "checkpoint", "--out", missing, "--url", platform.Url);

        ShouldBeAnErrorLine(run, 1, missing);
    }

    /// <summary>Options a run's kind would not read, or given twice over, used to be dropped without a word.</summary>
    [Theory]
    [InlineData("--cohort 50 --vary SIT=0.2", "--vary sets what a sweep, a monte-carlo run or a sensitivity study varies; a cohort-trial varies nothing")]
    [InlineData("--points 5", "--points sets the grid of a sweep; this run is a single")]
    [InlineData("--scenario reference,day --model bergman", "Several scenarios run as a scenario set")]
    [InlineData("--days 1 --duration 60", "Give the period once")]
    public async Task A_run_option_its_kind_would_not_read_is_refused_before_anything_is_sent(string options, string message)
    {
        var run = await DthProcess.RunAsync(Home(), ["run", "submit", .. options.Split(' '), "--url", Nowhere]);

        ShouldBeAnErrorLine(run, 1, message);
    }

    [Fact]
    public void Days_are_turned_into_the_model_s_time_unit()
    {
        RunCommands.DurationOf("hovorka", null, 1).Should().Be(1440, "hovorka counts minutes");
        RunCommands.DurationOf("pkpd", null, 1).Should().Be(24, "pkpd counts hours");
        RunCommands.DurationOf("windkessel", null, 0.5).Should().Be(43_200, "windkessel counts seconds");
        RunCommands.DurationOf("hovorka", 90, null).Should().Be(90);
        // An external code's unit comes from the platform (GET /api/runs/models/{model}).
        RunCommands.DurationOf("my-code", null, 1, platformUnit: "h").Should().Be(24);
        FluentActions.Invoking(() => RunCommands.DurationOf("my-code", null, 1)).Should().Throw<DthGrains.Cli.Catalogue.UsageException>().WithMessage("*give --duration*");
        FluentActions.Invoking(() => RunCommands.DurationOf("my-code", null, 1, platformUnit: "mmol")).Should().Throw<DthGrains.Cli.Catalogue.UsageException>().WithMessage("*not a unit of time*");
    }

    [Fact]
    public async Task Local_mistakes_are_usage_errors_not_answers_of_the_platform()
    {
        // A role no route knows is a parse error, as every option's choices are.
        var token = await DthProcess.RunAsync(Home(), "token", "--role", "reseacher");
        token.Code.Should().Be(1);
        token.Errors.Should().Contain("'reseacher' not recognized").And.Contain("modeller");
        token.Output.Should().NotContain("eyJ", "no token was minted");
        ShouldBeAnErrorLine(await DthProcess.RunAsync(Home(), "audit", "verify", "--checkpoint", Path.Combine(_dir, "none.json"), "--url", Nowhere), 1, "No checkpoint file at");
        ShouldBeAnErrorLine(await DthProcess.RunAsync(Home(), "sim", "external", Path.Combine(_dir, "no-models")), 1, "No descriptor file or folder at");
    }

    /// <summary>A FHIR route's error is an OperationOutcome: its diagnostics are what the user needs to read.</summary>
    [Fact]
    public async Task A_fhir_route_s_error_shows_the_outcome_s_diagnostics()
    {
        await using var platform = await StubPlatform.StartAsync(async http =>
        {
            http.Response.StatusCode = 404;
            http.Response.ContentType = "application/fhir+json";
            await http.Response.WriteAsync("""{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"Twin 'x' has no scenario 'bad'."}]}""");
        });

        var run = await DthProcess.RunAsync(Home(), "twin", "export", "x", "--scenario", "bad", "--url", platform.Url);

        ShouldBeAnErrorLine(run, 2, "Twin 'x' has no scenario 'bad'.");
    }

    /// <summary>A run as `run list` shows it, numbered.</summary>
    private static object RunItem(int i) => new
    {
        id = $"run-{i}", kind = "single", modelId = "hovorka", modelVersion = "1", status = "completed",
        shardsDone = 1, shardsTotal = 1, subjectsDone = 1, subjectsTotal = 1, submittedAt = "2026-12-01T00:00:00Z",
    };

    /// <summary>A list the API answers a page at a time is read whole: `run list` used to show the first 50 runs alone.</summary>
    [Fact]
    public async Task A_list_command_reads_every_page()
    {
        await using var platform = await StubPlatform.StartAsync(http =>
        {
            var offset = int.Parse(http.Request.Query["offset"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            var limit = int.Parse(http.Request.Query["limit"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            var items = Enumerable.Range(offset, Math.Max(0, Math.Min(limit, 250 - offset))).Select(RunItem);
            return http.Response.WriteAsJsonAsync(new { items, total = 250 });
        });

        var run = await DthProcess.RunAsync(Home(), "run", "list", "--json", "--url", platform.Url);

        run.Code.Should().Be(0, run.Errors);
        var list = System.Text.Json.JsonDocument.Parse(run.Output).RootElement;
        list.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetString()).Should().Equal(Enumerable.Range(0, 250).Select(i => $"run-{i}"));
        list.GetProperty("total").GetInt64().Should().Be(250);

        // A run submitted between two pages shifts the next one: the run met twice is listed once.
        await using var shifting = await StubPlatform.StartAsync(http =>
        {
            var offset = int.Parse(http.Request.Query["offset"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            var from = offset == 0 ? 0 : offset - 1;
            var items = Enumerable.Range(from, Math.Min(100, 150 - from)).Select(RunItem);
            return http.Response.WriteAsJsonAsync(new { items, total = 150 });
        });
        var shifted = await DthProcess.RunAsync(Home(), "run", "list", "--json", "--url", shifting.Url);
        System.Text.Json.JsonDocument.Parse(shifted.Output).RootElement.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetString())
            .Should().Equal(Enumerable.Range(0, 150).Select(i => $"run-{i}"));
    }

    /// <summary>Values the platform would refuse are refused by the option, named as the user typed it.</summary>
    [Theory]
    [InlineData("access apply --title T --purpose scientific-research --dataset d --action read --intended-use u --benefit b --safeguards s --months 0",
        "--months is the processing period, 1 to 60 months.")]
    [InlineData("access apply --title T --purpose scientific-research --dataset d --action read --intended-use u --benefit b --safeguards s --months 6 --pseudonymised",
        "--pseudonymised needs --justification")]
    [InlineData("twin create --influence 4", "--influence is 1 (low) to 3 (high).")]
    [InlineData("audit lineage run:x --depth 20", "--depth is 1 to 12 steps.")]
    [InlineData("audit stream organisation:x --as-of yesterday", "--as-of yesterday: give a date and time")]
    [InlineData("audit stream organisation:x --version 0", "--version is a stream version, 1 or more.")]
    public async Task An_option_value_out_of_range_is_named_before_anything_is_sent(string command, string message)
    {
        var run = await DthProcess.RunAsync(Home(), [.. command.Split(' '), "--url", Nowhere]);

        run.Code.Should().Be(1, run.Errors);
        run.Errors.Should().Contain(message);
    }
}
