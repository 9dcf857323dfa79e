using System.Text.Json;
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
        var result = JsonDocument.Parse(output).RootElement;
        (result.GetProperty("model").GetString(), result.GetProperty("individuals").GetInt64(), result.GetProperty("failed").GetInt64()).Should().Be(("hovorka-2004", 24L, 0L));
        result.GetProperty("requestHash").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
        var glucose = result.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("output").GetString() == "G");
        var (p5, p95) = (glucose.GetProperty("bands")[0].EnumerateArray().Last().GetDouble(), glucose.GetProperty("bands").EnumerateArray().Last().EnumerateArray().Last().GetDouble());
        p5.Should().BeGreaterThan(0).And.BeLessThanOrEqualTo(p95);
        (await File.ReadAllLinesAsync(first))[0].Should().StartWith("output,time,mean,sd");

        var (again, repeat) = await Dth("--model", "hovorka", "--cohort", "24", "--seed", "7", "--json", "--out", second);
        again.Should().Be(0, repeat);
        JsonDocument.Parse(repeat).RootElement.GetProperty("requestHash").GetString().Should().Be(result.GetProperty("requestHash").GetString());
        (await File.ReadAllTextAsync(second)).Should().Be(await File.ReadAllTextAsync(first), "same request, same seed: the same bands");
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
