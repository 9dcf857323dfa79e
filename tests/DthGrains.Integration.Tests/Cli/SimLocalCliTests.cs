using System.Text.Json;
using DthGrains.Cli.Platform;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Cli;

/// <summary>`dth sim local`, in-process: the engine on the caller's machine, no platform (the URL given is never called).</summary>
public sealed class SimLocalCliTests : IDisposable
{
    private static readonly Uri Nowhere = new("http://127.0.0.1:9/");
    private readonly string _dir = Directory.CreateTempSubdirectory("dth-sim-local-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Output)> Dth(params string[] args) => await CliRunner.RunAsync(Nowhere, "no-token", ["sim", "local", .. args]);

    [Fact]
    public async Task A_cohort_runs_locally_to_bands_in_json_and_csv_and_the_same_seed_gives_the_same_results()
    {
        var (first, second) = (Path.Combine(_dir, "a.csv"), Path.Combine(_dir, "b.csv"));
        var (code, output) = await Dth("--model", "hovorka", "--cohort", "24", "--seed", "7", "--json", "--out", first);
        code.Should().Be(0, output);
        var result = CliRunner.JsonIn(output);
        (result.GetProperty("model").GetString(), result.GetProperty("individuals").GetInt64(), result.GetProperty("failed").GetInt64()).Should().Be(("hovorka-2004", 24L, 0L));
        result.GetProperty("requestHash").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
        var glucose = result.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("output").GetString() == "G");
        var (p5, p95) = (glucose.GetProperty("bands")[0].EnumerateArray().Last().GetDouble(), glucose.GetProperty("bands").EnumerateArray().Last().EnumerateArray().Last().GetDouble());
        p5.Should().BeGreaterThan(0).And.BeLessThanOrEqualTo(p95);
        (await File.ReadAllLinesAsync(first))[0].Should().StartWith("output,time,mean,sd");

        var (again, repeat) = await Dth("--model", "hovorka", "--cohort", "24", "--seed", "7", "--json", "--out", second);
        again.Should().Be(0, repeat);
        CliRunner.JsonIn(repeat).GetProperty("requestHash").GetString().Should().Be(result.GetProperty("requestHash").GetString());
        (await File.ReadAllTextAsync(second)).Should().Be(await File.ReadAllTextAsync(first), "same request, same seed: the same bands");
    }

    private string RequestFile(string json)
    {
        var path = Path.Combine(_dir, $"request-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public async Task A_request_file_of_any_kind_runs_here_as_a_run_shows_with_its_hashes_and_bands()
    {
        var csv = Path.Combine(_dir, "mc.csv");
        var file = RequestFile("""{"kind": "monte-carlo", "model": "pkpd", "size": 60, "seed": 5, "uncertain": [{"parameter": "CL", "cv": 0.3}]}""");
        var (code, output) = await Dth("--request", file, "--json", "--out", csv);
        code.Should().Be(0, output);
        var run = CliRunner.JsonIn(output);
        (run.GetProperty("kind").GetString(), run.GetProperty("subjectsTotal").GetInt64()).Should().Be(("monte-carlo", 60L));
        run.GetProperty("requestHash").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
        run.GetProperty("resultHash").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
        run.GetProperty("summary").GetProperty("individuals").GetInt64().Should().Be(60);
        (await File.ReadAllLinesAsync(csv))[0].Should().Be("output,time,mean,sd,p5,p25,p50,p75,p95,floor");

        var table = await Dth("--request", file);
        table.Code.Should().Be(0, table.Output);
        table.Output.Should().Contain(run.GetProperty("resultHash").GetString()!).And.Contain("p95").And.Contain("60 subjects");

        var sobol = await Dth("--request", RequestFile("""{"kind": "sensitivity", "model": "bergman", "size": 40, "seed": 3, "duration": 60, "uncertain": [{"parameter": "p2", "cv": 0.3}, {"parameter": "p3", "cv": 0.3}]}"""));
        sobol.Code.Should().Be(0, sobol.Output);
        sobol.Output.Should().Contain("Sobol indices of mean G").And.Contain("40 base samples");
    }

    /// <summary>With --json, standard output holds the result or nothing: a mistake goes to standard error (a real process, to tell them apart).</summary>
    [Theory]
    [InlineData(new[] { "sim", "local", "--model", "no-such-model", "--json" }, "Unknown model")]
    [InlineData(new[] { "sim", "local", "--model", "bergman", "--scenario", "moon", "--json" }, "Unknown scenario 'moon'")]
    [InlineData(new[] { "synth", "--start", "5 May", "--json" }, "--start must be a date")]
    public async Task A_mistake_with_json_leaves_standard_output_empty_and_is_told_on_standard_error(string[] args, string told)
    {
        var (code, output, errors) = await DthProcess.RunAsync([.. args, "--url", Nowhere.ToString()]);
        code.Should().Be(CliErrors.Usage, errors);
        output.Should().BeEmpty();
        errors.Should().StartWith("error:").And.Contain(told).And.NotContain("Exception");
    }

    [Theory]
    [InlineData("""{"kind": "cohort-trial", "model": "hovorka", "colour": 1}""", "'$.colour' is not a member of a run request")]
    [InlineData("""{"kind": "cohort trial", "model": "hovorka"}""", "'$.kind' has a value of the wrong type or an unknown name")]
    [InlineData("""{"kind": "cohort-trial", "model": "hovorka", "size": -3}""", "not a request the platform would run: size:")]
    [InlineData("""{"kind": "cohort-trial", "model": "hovorka", "size": 10, "purpose": "scientific-research", "cohortFrom": {"dataset": "charite-t1d-synthetic"}}""",
        "the seed is fitted at the data holder's silos")]
    [InlineData("""not json""", "is not valid JSON")]
    public async Task A_request_file_the_platform_would_refuse_is_refused_here_saying_what_is_wrong(string json, string told)
    {
        var (code, output) = await Dth("--request", RequestFile(json));
        code.Should().Be(CliErrors.Usage, output);
        output.Should().Contain(told).And.NotContain("DthGrains.Contracts").And.NotContain("Exception");
    }

    [Fact]
    public async Task A_request_file_with_an_option_that_shapes_another_request_is_refused()
    {
        var (code, output) = await Dth("--request", RequestFile("""{"kind": "single", "model": "bergman"}"""), "--cohort", "5", "--seed", "2");
        code.Should().NotBe(0);
        output.Should().Contain("--request carries the whole request: leave out --cohort, --seed");
    }

    [Theory]
    [InlineData("--step", "0", "--step is a positive number")]
    [InlineData("--cohort", "-5", "--cohort is 0")]
    [InlineData("--rtol", "0", "--rtol is between 0 and 1")]
    [InlineData("--atol", "-1", "--atol is a positive number")]
    public async Task A_wrong_option_is_told_as_the_options_mistake_and_nothing_runs(string option, string value, string told)
    {
        var csv = Path.Combine(_dir, "never.csv");
        var (code, output) = await Dth(option, value, "--out", csv);
        code.Should().NotBe(0);
        output.Should().Contain(told).And.NotContain("Exception").And.NotContain("OutputGrid");
        File.Exists(csv).Should().BeFalse();
    }
}
