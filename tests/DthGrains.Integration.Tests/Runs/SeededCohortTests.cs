using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;
using static DthGrains.Integration.Tests.Runs.RunTestData;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>Cohort trials seeded from the demo dataset of Charité (5 synthetic patients) on the seeded standalone platform.</summary>
[Collection(HostCollection.Name)]
public sealed class SeededCohortTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    /// <summary>Three simulated hours, so the meal at 60 min (and the parameters that shape its response) shows in the bands.</summary>
    private static Dictionary<string, object?> Trial(string? cohortFrom, ulong seed = 7) => new()
    {
        ["kind"] = "cohort-trial", ["model"] = "hovorka", ["size"] = 100, ["seed"] = seed, ["duration"] = 180, ["outputStep"] = 30, ["shardSize"] = 25,
        ["purpose"] = "scientific-research", ["datasets"] = cohortFrom is null ? new[] { CharitéData } : null,
        ["cohortFrom"] = cohortFrom is null ? null : new { dataset = cohortFrom },
    };

    private static object Without(Dictionary<string, object?> body) => body.Where(p => p.Value is not null).ToDictionary();

    private Task<IReadOnlyList<object>> AccessLog(string dataset = CharitéData) => Host.AccessLogAsync("charite", dataset);

    [Fact]
    public async Task A_researcher_with_a_grant_runs_a_cohort_seeded_at_the_data_whose_seed_is_in_its_provenance_and_changes_its_bands()
    {
        await SeedReady(Host);
        var subject = $"carla-seed-{Guid.NewGuid():N}"[..20];
        var carla = Host.ClientAs("researcher", "tum", subject);
        var (_, grantId) = await GrantAsync(Host, carla);

        var id = await SubmitAsync(carla, Without(Trial(CharitéData)));
        var run = await WaitForStatusAsync(carla, id, "completed");

        // The seed is in the normalised request: dataset version, subjects used, method and one distribution per seeded parameter.
        var seed = run.GetProperty("request").GetProperty("cohortFrom");
        seed.GetProperty("datasetVersion").GetString().Should().Be("1.0.0");
        seed.GetProperty("subjects").GetInt32().Should().Be(5);
        seed.GetProperty("method").GetString().Should().Be(CohortSeeding.Method);
        seed.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("parameter").GetString()).Should().BeEquivalentTo(CohortSeeding.SeededParameters("hovorka-2004"));
        run.GetProperty("request").GetProperty("datasets").EnumerateArray().Select(d => d.GetString()).Should().Equal(CharitéData);
        run.GetProperty("grants").EnumerateArray().Select(g => g.GetString()).Should().Equal(grantId);

        // RunSubmitted records the request as submitted, CohortSeeded the seed fitted after it (with the seeded request's
        // hash, the run's from then on); the run started only with its seed. No pseudonym and no resource is in the stream.
        var events = await Host.Services.GetRequiredService<EventLog>().ReadAsync(RunEventTypes.StreamOf(id));
        events.Select(e => e.Data.GetType().Name).Should().StartWith([nameof(RunSubmitted), nameof(CohortSeeded), nameof(RunStarted)]);
        var submitted = events.Select(e => e.Data).OfType<RunSubmitted>().Single();
        submitted.Request.CohortFrom!.Parameters.Should().BeNull();
        submitted.Datasets.Should().ContainSingle(d => d.Id == CharitéData && d.Version == "1.0.0" && d.Institution == "charite");
        var seeded = events.Select(e => e.Data).OfType<CohortSeeded>().Single();
        seeded.Seed.Subjects.Should().Be(5);
        seeded.Seed.Parameters.Should().HaveCount(6);
        seeded.RequestHash.Should().Be(run.GetProperty("requestHash").GetString()).And.NotBe(submitted.RequestHash);
        events.Select(e => e.Data).OfType<RunCompleted>().Single().RequestHash.Should().Be(seeded.RequestHash);
        JsonSerializer.Serialize(events.Select(e => e.Data).ToList()).Should().NotContain("synth-0000").And.NotContain("resourceType");

        // The dataset's access log: the read at the data, with action simulate and the subjects' pseudonyms.
        var read = (await AccessLog()).OfType<DataAccessed>().Where(a => a.Actor == subject).ToList();
        read.Should().ContainSingle();
        read[0].Action.Should().Be("simulate");
        read[0].GrantId.Should().Be(grantId);
        read[0].SubjectPseudonyms.Should().BeEquivalentTo(Enumerable.Range(1, 5).Select(i => $"synth-0000{i}"));

        // Lineage: the cohort seed was derived from the dataset version, and the run used it.
        var lineage = await Host.ClientAs("auditor", "dth-oversight").GetFromJsonAsync<JsonElement>($"/api/audit/lineage?entity=run:{id}&depth=2");
        var edges = lineage.GetProperty("graph").GetProperty("edges").EnumerateArray()
            .Select(e => (From: e.GetProperty("from").GetString()!, Relation: e.GetProperty("relation").GetString()!, To: e.GetProperty("to").GetString()!)).ToList();
        edges.Should().Contain(($"run:{id}", "used", $"run:{id}/cohort-seed"));
        edges.Should().Contain(($"run:{id}/cohort-seed", "wasDerivedFrom", $"resource:{CharitéData}@1.0.0"));

        // RO-Crate: the seed is an object of the run, based on the dataset.
        var zip = new ZipArchive(new MemoryStream(await carla.GetByteArrayAsync($"/api/runs/{id}/ro-crate")));
        var graph = JsonDocument.Parse(zip.GetEntry("ro-crate-metadata.json")!.Open()).RootElement.GetProperty("@graph").EnumerateArray().ToList();
        graph.Single(e => e.GetProperty("@id").GetString() == "#cohort-seed").GetProperty("isBasedOn").GetProperty("@id").GetString().Should().Be($"#dataset-{CharitéData}");
        graph.Single(e => e.GetProperty("@id").GetString() == "#run").GetProperty("object").EnumerateArray().Select(o => o.GetProperty("@id").GetString()).Should().Contain("#cohort-seed");

        // Re-run in the CLI's process from the recorded request alone (it carries the fitted seed; no data is read): the run's results.
        var verified = await CliRunner.RunAsync(Host.BaseAddress, Host.Token("researcher", "tum", subject), "run", "verify", id);
        verified.Code.Should().Be(0, verified.Output);
        verified.Output.Should().Contain("Reproduced:").And.Contain(run.GetProperty("resultHash").GetString()!);

        // Same request, same seed: the same seed distributions, hash and results. Without the seed (same datasets and seed): other bands.
        var again = await WaitForStatusAsync(carla, await SubmitAsync(carla, Without(Trial(CharitéData))), "completed");
        again.GetProperty("requestHash").GetString().Should().Be(run.GetProperty("requestHash").GetString());
        again.GetProperty("resultHash").GetString().Should().Be(run.GetProperty("resultHash").GetString());
        var unseeded = await WaitForStatusAsync(carla, await SubmitAsync(carla, Without(Trial(null))), "completed");
        unseeded.GetProperty("requestHash").GetString().Should().NotBe(run.GetProperty("requestHash").GetString());
        Bands(unseeded).Should().NotEqual(Bands(run), "SIT, SID, SIE, EGP0, tmaxG and body weight come from the dataset instead of the published distributions");
    }

    [Fact]
    public async Task A_run_cancelled_while_its_seed_is_fitted_stays_cancelled_and_nothing_is_seeded_or_solved_after()
    {
        await SeedReady(Host);
        var subject = $"carla-seed-cancel-{Guid.NewGuid():N}"[..26];
        var carla = Host.ClientAs("researcher", "tum", subject);
        await GrantAsync(Host, carla);

        // Answered before the fit (which takes about a second here): the run is only submitted, and can be cancelled.
        var id = await SubmitAsync(carla, Without(Trial(CharitéData)));
        var cancelled = await carla.PostAsync($"/api/runs/{id}/cancel", Body(new { reason = "wrong dataset" }));
        cancelled.StatusCode.Should().Be(HttpStatusCode.OK, await cancelled.Content.ReadAsStringAsync());

        // The cancellation stops the fit at the data (between subjects), or its outcome is handed back: a cancelled run takes
        // nothing from it either way. A second run of the same request, submitted after the cancellation, has its own fit of
        // the same work: once it completed, the first fit (started earlier, on the same silo) has long been over.
        var second = await WaitForStatusAsync(carla, await SubmitAsync(carla, Without(Trial(CharitéData))), "completed");
        second.GetProperty("subjectsDone").GetInt64().Should().Be(100);
        var events = await Host.Services.GetRequiredService<EventLog>().ReadAsync(RunEventTypes.StreamOf(id));
        events.Select(e => e.Data.GetType().Name).Should().Equal(nameof(RunSubmitted), nameof(RunCancelled));
        (await carla.GetFromJsonAsync<JsonElement>($"/api/runs/{id}")).GetProperty("status").GetString().Should().Be("cancelled");
        (await AccessLog()).OfType<DataAccessed>().Count(a => a.Actor == subject).Should().BeInRange(1, 2,
            "the second run's fit read the subjects once; the cancelled run's fit read them once, unless it was stopped before its read");
    }

    [Fact]
    public async Task Without_a_grant_a_seeded_cohort_is_a_403_recorded_as_a_denial_and_nothing_is_read()
    {
        await SeedReady(Host);
        var subject = $"nina-seed-{Guid.NewGuid():N}"[..19];
        var refused = await Host.ClientAs("researcher", "tum", subject).PostAsync("/api/runs", Body(Without(Trial(CharitéData))));
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden, await refused.Content.ReadAsStringAsync());
        var log = await AccessLog();
        log.OfType<AccessDenied>().Should().Contain(d => d.Actor == subject && d.Reason.Contains("simulate"));
        log.OfType<DataAccessed>().Should().NotContain(d => d.Actor == subject);
    }

    [Fact]
    public async Task Wrong_seeds_are_400s_naming_the_field_and_too_few_usable_subjects_fail_the_run_with_the_reason()
    {
        await SeedReady(Host);
        var carla = Host.ClientAs("researcher", "tum", "carla-seed-bad");
        async Task<string> Refused(object body, HttpStatusCode status)
        {
            var response = await carla.PostAsync("/api/runs", Body(body));
            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(status, text);
            return text;
        }
        var monteCarlo = Trial(CharitéData);
        monteCarlo["kind"] = "monte-carlo";
        monteCarlo["uncertain"] = new[] { new { parameter = "SIT", cv = 0.2 } };
        (await Refused(Without(monteCarlo), HttpStatusCode.BadRequest)).Should().Contain("cohortFrom");
        var bergman = Trial(CharitéData);
        bergman["model"] = "bergman";
        (await Refused(Without(bergman), HttpStatusCode.BadRequest)).Should().Contain("cohortFrom").And.Contain("FHIR mapping");
        var forged = Trial(null);
        forged["cohortFrom"] = new { dataset = CharitéData, datasetVersion = "1.0.0", subjects = 5, parameters = Array.Empty<object>() };
        (await Refused(Without(forged), HttpStatusCode.BadRequest)).Should().Contain("cohortFrom");
        (await carla.GetFromJsonAsync<JsonElement>("/api/runs")).GetProperty("total").GetInt32().Should().Be(0);

        // A dataset of one subject (the owner's own researcher needs no grant): too few to seed without exposing a patient.
        var steward = Host.ClientAs("steward", "charite");
        const string tiny = "seed-tiny-cohort";
        (await steward.PostAsync("/api/catalogue/resources", Draft(tiny, "dataset", RestrictedDatasetMetadata()))).EnsureSuccessStatusCode();
        (await steward.PostAsync($"/api/catalogue/resources/{tiny}/versions?version=1.0.0", AsFhir(Bundle("p1")))).EnsureSuccessStatusCode();
        (await steward.PostAsync($"/api/catalogue/resources/{tiny}/publish", null)).EnsureSuccessStatusCode();
        var own = Host.ClientAs("researcher", "charite", "carl-seed-own");
        var failed = await WaitForStatusAsync(own, await SubmitAsync(own, Without(Trial(tiny))), "failed");
        failed.GetProperty("statusReason").GetString().Should().Contain($"at least {CohortSeeding.MinSubjects}");
        failed.GetProperty("subjectsDone").GetInt64().Should().Be(0);
        (await AccessLog(tiny)).OfType<DataAccessed>().Should().ContainSingle(d => d.Actor == "carl-seed-own" && d.Action == "simulate", "the read at the data is recorded even when no seed results");
    }

    [Fact]
    public async Task The_cli_submits_a_seeded_cohort_and_shows_the_seed()
    {
        await SeedReady(Host);
        var subject = $"carla-seed-cli-{Guid.NewGuid():N}"[..24];
        await GrantAsync(Host, Host.ClientAs("researcher", "tum", subject));
        var token = Host.Token("researcher", "tum", subject: subject);
        var (code, output) = await CliRunner.RunAsync(Host.BaseAddress, token, "run", "submit", "--model", "hovorka", "--cohort", "40", "--duration", "60", "--step", "30",
            "--cohort-from", CharitéData, "--purpose", "scientific-research", "--follow");
        code.Should().Be(0, output);
        output.Should().Contain("completed").And.Contain("cohort seed").And.Contain($"{CharitéData}@1.0.0, 5 subjects");
        // The hash printed at submission is the request's before its seed is fitted; the follower names the one the results point at.
        var seeded = Regex.Match(output, "with its seed the request hashes to ([0-9a-f]{64})");
        seeded.Success.Should().BeTrue(output);
        Regex.Matches(output, @"request hash\s+([0-9a-f]{64})").Last().Groups[1].Value.Should().Be(seeded.Groups[1].Value);
    }

    private static double[] Bands(JsonElement run) =>
        run.GetProperty("summary").GetProperty("bands").EnumerateArray().Select(b => b.ValueKind == JsonValueKind.Number ? b.GetDouble() : double.NaN).ToArray();
}
