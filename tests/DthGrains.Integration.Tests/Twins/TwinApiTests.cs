using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Domain.Catalogue;
using DthGrains.Fhir.Twins;
using DthGrains.Integration.Tests.Infrastructure;
using Bundle = Hl7.Fhir.Model.Bundle;
using Observation = Hl7.Fhir.Model.Observation;
using FhirProvenance = Hl7.Fhir.Model.Provenance;
using AuditEvent = Hl7.Fhir.Model.AuditEvent;
using Hl7.Fhir.Serialization;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Twins;

/// <summary>The twin journey on the seeded standalone platform (which plays Charité and Inria).</summary>
[Collection(HostCollection.Name)]
public sealed class TwinApiTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    private Task<IReadOnlyList<object>> AccessLog() => Host.AccessLogAsync("charite", CharitéData);

    [Fact]
    public async Task A_researcher_builds_a_twin_from_a_seeded_patient_tests_a_meal_plan_exports_fhir_and_the_auditor_sees_every_input()
    {
        await SeedReady(Host);
        var subject = $"carla-{Guid.NewGuid():N}"[..16];
        var carla = Host.ClientAs("researcher", "tum", subject);
        var (_, grantId) = await GrantAsync(Host, carla);
        var id = await CreateAsync(carla);

        var linked = await PostOk(carla, $"/api/twins/{id}/link", new { datasetId = CharitéData, subject = "synth-00002" });
        linked.GetProperty("status").GetString().Should().Be("data-linked");
        var data = linked.GetProperty("data");
        data.GetProperty("grantId").GetString().Should().Be(grantId);
        data.GetProperty("datasetVersion").GetString().Should().Be("1.0.0");
        data.GetProperty("glucose").GetProperty("count").GetInt32().Should().Be(3 * 288, "three days of CGM every 5 minutes");

        var calibrated = await PostOk(carla, $"/api/twins/{id}/calibrate");
        calibrated.GetProperty("status").GetString().Should().Be("calibrated");
        calibrated.GetProperty("calibration").GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString())
            .Should().Equal("EGP0", "SIT", "SID", "SIE", "tmaxG");
        calibrated.GetProperty("calibration").GetProperty("fit").GetProperty("converged").GetBoolean().Should().BeTrue();

        var validated = await PostOk(carla, $"/api/twins/{id}/validate");
        validated.GetProperty("status").GetString().Should().Be("validated");
        validated.GetProperty("validation").GetProperty("passed").GetBoolean().Should().BeTrue(validated.GetProperty("validation").ToString());
        validated.GetProperty("validation").GetProperty("heldOut").GetProperty("count").GetInt32().Should().BeGreaterThan(250);

        var tested = await PostOk(carla, $"/api/twins/{id}/scenarios", LighterBreakfast);
        var scenario = tested.GetProperty("scenarios").EnumerateArray().Single();
        scenario.GetProperty("summary").GetProperty("timeInRangePercent").GetDouble().Should().BeInRange(0, 100);
        scenario.GetProperty("requestHash").GetString().Should().HaveLength(64);
        // The scenario ran as a single run of the simulation platform, on the twin's dataset under the twin's purpose, owned by the twin's owner.
        var runId = scenario.GetProperty("runId").GetString()!;
        var run = await carla.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}");
        run.GetProperty("status").GetString().Should().Be("completed");
        run.GetProperty("kind").GetString().Should().Be("single");
        run.GetProperty("owner").GetString().Should().Be(subject);
        run.GetProperty("purpose").GetString().Should().Be("scientific-research");
        run.GetProperty("grants").EnumerateArray().Select(g => g.GetString()).Should().Equal(grantId);
        run.GetProperty("datasets").EnumerateArray().Select(d => d.GetProperty("id").GetString()).Should().Equal(CharitéData);
        run.GetProperty("request").GetProperty("plan").GetProperty("meals").GetArrayLength().Should().Be(3);
        var active = await PostOk(carla, $"/api/twins/{id}/activate");
        active.GetProperty("status").GetString().Should().Be("active");
        active.GetProperty("credibility").GetProperty("factors").EnumerateArray().Should().HaveCount(13);

        // FHIR export: parses with Hl7.Fhir.R4, predictions carry the model-prediction method, provenance points at twin, model and data.
        var export = await carla.GetAsync($"/api/twins/{id}/fhir");
        export.StatusCode.Should().Be(HttpStatusCode.OK);
        export.Content.Headers.ContentType!.MediaType.Should().Be("application/fhir+json");
        var bundle = new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<Bundle>(await export.Content.ReadAsStringAsync());
        bundle.Entry.Select(e => e.Resource).OfType<Observation>().Should().HaveCount(25).And.OnlyContain(o => o.Method!.Coding[0].Code == TwinFhirExport.ModelPredictionCode);
        var provenance = bundle.Entry.Select(e => e.Resource).OfType<FhirProvenance>().Single();
        provenance.Entity.Select(e => e.What!.Identifier!.Value).Should().Contain([$"{id}|{active.GetProperty("version").GetInt64()}", "hovorka-2004|1.0.0", $"{CharitéData}|1.0.0"]);
        provenance.Policy.Should().ContainSingle().Which.Should().EndWith(grantId);

        // The auditor's lineage: every step with what it used, the chain intact, the state as of any version.
        var dan = Host.ClientAs("auditor", "dth-oversight", "dan-auditor");
        var history = await dan.GetFromJsonAsync<JsonElement>($"/api/twins/{id}/history");
        history.EnumerateArray().Select(e => e.GetProperty("eventType").GetString()).Should().Equal(
            "twins.designed", "twins.patient_data_linked", "twins.calibrated", "twins.validated", "twins.scenario_tested", "twins.activated");
        var calibratedBody = JsonDocument.Parse(history[2].GetProperty("bodyJson").GetString()!).RootElement;
        foreach (var (name, expected) in new[] { ("modelId", "hovorka-2004"), ("modelVersion", "1.0.0"), ("datasetId", CharitéData), ("datasetVersion", "1.0.0"), ("subjectPseudonym", "synth-00002"), ("grantId", grantId) })
            calibratedBody.GetProperty(name).GetString().Should().Be(expected, name);
        calibratedBody.GetProperty("engineVersion").GetString().Should().StartWith("dthgrains-simulation/", "as runs name the engine");
        calibratedBody.GetProperty("requestHash").GetString().Should().HaveLength(64);
        calibratedBody.GetProperty("observations").GetProperty("count").GetInt32().Should().Be(2 * 288);
        var scenarioBody = JsonDocument.Parse(history[4].GetProperty("bodyJson").GetString()!).RootElement;
        scenarioBody.GetProperty("calibrationRequestHash").GetString().Should().Be(calibratedBody.GetProperty("requestHash").GetString());
        scenarioBody.GetProperty("runner").GetString().Should().Be("run-platform");
        scenarioBody.GetProperty("runId").GetString().Should().Be(runId);

        // The lineage of the twin, from the ledger: model version, engine, the subject's data, the grant and the
        // stewards' decision behind it, up to the application.
        var lineage = await dan.GetFromJsonAsync<JsonElement>($"/api/audit/lineage?entity=twin:{id}&depth=8");
        var nodes = lineage.GetProperty("graph").GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()!).ToHashSet();
        var edges = lineage.GetProperty("graph").GetProperty("edges").EnumerateArray()
            .Select(e => (From: e.GetProperty("from").GetString()!, Relation: e.GetProperty("relation").GetString()!, To: e.GetProperty("to").GetString()!)).ToList();
        nodes.Should().Contain(["resource:hovorka-2004@1.0.0", $"resource:{CharitéData}@1.0.0", $"resource:{CharitéData}@1.0.0/subject/synth-00002", $"grant:{grantId}"]);
        nodes.Should().Contain(n => n.StartsWith("engine:dthgrains-simulation/", StringComparison.Ordinal));
        nodes.Should().Contain(n => n.StartsWith("access-request:", StringComparison.Ordinal) && n.Contains("/decision/charite/", StringComparison.Ordinal), "the steward's decision that issued the grant");
        edges.Should().Contain(e => e.From == $"twin:{id}" && e.Relation == "wasDerivedFrom" && e.To.StartsWith($"twin:{id}/calibration/", StringComparison.Ordinal));
        edges.Should().Contain(e => e.From.StartsWith($"twin:{id}/scenario/", StringComparison.Ordinal) && e.Relation == "wasGeneratedBy");
        // The scenario's result derives from the run's results, which the run generated with the grant it used.
        edges.Should().Contain(e => e.From.StartsWith($"twin:{id}/scenario/", StringComparison.Ordinal) && e.Relation == "wasDerivedFrom" && e.To == $"run:{runId}/results");
        edges.Should().Contain(e => e.From.StartsWith($"twin:{id}/scenario-test/", StringComparison.Ordinal) && e.Relation == "wasInformedBy" && e.To == $"run:{runId}");
        nodes.Should().Contain([$"run:{runId}/results", $"run:{runId}"]);
        edges.Should().Contain(e => e.From == $"run:{runId}/results" && e.Relation == "wasGeneratedBy" && e.To == $"run:{runId}");
        var fhirLineage = await dan.GetAsync($"/api/audit/lineage/fhir?entity=twin:{id}");
        fhirLineage.StatusCode.Should().Be(HttpStatusCode.OK);
        new FhirJsonDeserializer(new DeserializerSettings()).Deserialize<Bundle>(await fhirLineage.Content.ReadAsStringAsync())
            .Entry.Select(e => e.Resource).OfType<AuditEvent>().Should().Contain(a => a.Subtype.Any(c => c.Code == "twins.calibrated"));

        var asOfValidation = await dan.GetFromJsonAsync<JsonElement>($"/api/audit/streams/twin:{id}?version=4");
        asOfValidation.GetProperty("state").GetProperty("status").GetString().Should().Be("validated");
        asOfValidation.GetProperty("chainIntact").GetBoolean().Should().BeTrue();

        // The dataset's access log names the subject's pseudonym, the action and the grant of each of the twin's three reads.
        var reads = (await AccessLog()).OfType<DataAccessed>().Where(e => e.Actor == subject).ToList();
        reads.Should().HaveCount(3).And.OnlyContain(e => e.SubjectPseudonyms!.SequenceEqual(new[] { "synth-00002" }) && e.Action == "simulate" && e.GrantId == grantId && e.Subjects == 1);

        // The data subject's access log (EHDS Art. 9) lists the twin's reads with the action.
        var subjectLog = await dan.GetFromJsonAsync<JsonElement>($"/api/audit/subjects/synth-00002/accesses?dataset={CharitéData}&limit=10000");
        subjectLog.EnumerateArray().Where(e => e.GetProperty("who").GetString() == subject).Should().HaveCount(3)
            .And.OnlyContain(e => e.GetProperty("action").GetString() == "simulate" && e.GetProperty("outcome").GetString() == "read");

        (await Host.ClientAs("researcher", "tum", "someone-else").GetAsync($"/api/twins/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound, "a twin is its owner's and the auditors'");
        (await dan.PostAsync($"/api/twins/{id}/activate", null)).StatusCode.Should().Be(HttpStatusCode.Forbidden, "auditors read, they do not build twins");
    }

    /// <summary>
    /// A scenario test runs a simulation and reads the patient's data before its decision: its repeat (same
    /// Idempotency-Key) gets the first answer without a second run, and a stale If-Match or a key reused for another
    /// scenario is refused before any of that work. The export refuses a start no date can be counted from.
    /// </summary>
    [Fact]
    public async Task A_scenario_test_s_repeat_or_refusal_runs_nothing_and_a_start_out_of_the_calendar_is_refused()
    {
        await SeedReady(Host);
        var carla = Host.ClientAs("researcher", "tum", $"cora-{Guid.NewGuid():N}"[..16]);
        await GrantAsync(Host, carla);
        var id = await CreateAsync(carla);
        await PostOk(carla, $"/api/twins/{id}/link", new { datasetId = CharitéData, subject = "synth-00003" });
        await PostOk(carla, $"/api/twins/{id}/calibrate");
        var validated = await PostOk(carla, $"/api/twins/{id}/validate");
        validated.GetProperty("validation").GetProperty("passed").GetBoolean().Should().BeTrue(validated.GetProperty("validation").ToString());

        async Task<int> Runs() => (await carla.GetFromJsonAsync<JsonElement>("/api/runs?limit=100")).GetProperty("items").GetArrayLength();
        async Task<HttpResponseMessage> Test(object scenario, string? key = null, string? ifMatch = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/twins/{id}/scenarios") { Content = Body(scenario) };
            if (key is not null) request.Headers.Add("Idempotency-Key", key);
            if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            return await carla.SendAsync(request);
        }

        var key = $"scenario-{Guid.NewGuid():N}";
        var first = await Test(LighterBreakfast, key);
        first.StatusCode.Should().Be(HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        var runs = await Runs();
        var repeat = await Test(LighterBreakfast, key);
        repeat.StatusCode.Should().Be(HttpStatusCode.OK);
        repeat.Headers.ETag!.Tag.Should().Be(first.Headers.ETag!.Tag);
        (await JsonOf(repeat)).GetProperty("scenarios").GetArrayLength().Should().Be(1);
        (await Test(new { name = "another plan", hours = 12, meals = Array.Empty<object>() }, key)).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await Test(LighterBreakfast, ifMatch: "\"1\"")).StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
        (await Runs()).Should().Be(runs, "neither the repeat nor the refused tests ran a simulation");

        var outOfTheCalendar = await Test(new { name = "far", hours = 24, start = "9999-12-31T23:00:00Z", meals = Array.Empty<object>() });
        outOfTheCalendar.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await outOfTheCalendar.Content.ReadAsStringAsync()).Should().Contain("start");
        (await carla.GetAsync($"/api/twins/{id}/fhir")).StatusCode.Should().Be(HttpStatusCode.OK, "the recorded test still exports");
    }

    [Fact]
    public async Task Linking_without_a_grant_is_refused_recorded_with_the_pseudonym_and_changes_nothing()
    {
        await SeedReady(Host);
        var subject = $"dora-{Guid.NewGuid():N}"[..16];
        var dora = Host.ClientAs("researcher", "tum", subject);
        var id = await CreateAsync(dora);

        var (status, text) = await PostRaw(dora, $"/api/twins/{id}/link", new { datasetId = CharitéData, subject = "synth-00003" });
        status.Should().Be(HttpStatusCode.Forbidden, text);
        text.Should().Contain("grant");
        var denied = (await AccessLog()).OfType<AccessDenied>().Where(e => e.Actor == subject).Should().ContainSingle().Subject;
        denied.SubjectPseudonyms.Should().Equal("synth-00003");
        denied.Action.Should().Be("simulate");
        denied.Purpose.Should().Be("scientific-research");

        var twin = await dora.GetFromJsonAsync<JsonElement>($"/api/twins/{id}");
        twin.GetProperty("version").GetInt64().Should().Be(1, "a refused link appends nothing to the twin");
        twin.GetProperty("status").GetString().Should().Be("designed");

        // Caller mistakes are 4xx with ProblemDetails, never 500, and change nothing.
        (await PostRaw(dora, $"/api/twins/{id}/calibrate")).Status.Should().Be(HttpStatusCode.Conflict);
        (await PostRaw(dora, $"/api/twins/{id}/link", new { datasetId = CharitéData, subject = "Jane Doe" })).Status.Should().Be(HttpStatusCode.BadRequest);
        (await PostRaw(dora, $"/api/twins/{id}/link", new { datasetId = CharitéData, subject = "synth-00003", extra = 1 })).Status.Should().Be(HttpStatusCode.BadRequest);
        (await PostRaw(dora, "/api/twins", new { name = "x", modelId = "windkessel-3", questionOfInterest = "q", contextOfUse = "c", purpose = "scientific-research" }))
            .Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await PostRaw(dora, "/api/twins", new { name = "", modelId = "hovorka-2004", questionOfInterest = "q", contextOfUse = "c", purpose = "fun" }))
            .Status.Should().Be(HttpStatusCode.BadRequest);
        (await dora.GetAsync("/api/twins/NOT_AN_ID/fhir")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await dora.GetAsync($"/api/twins/{id}/fhir")).StatusCode.Should().Be(HttpStatusCode.Conflict, "no scenario tested yet");
        (await dora.GetFromJsonAsync<JsonElement>($"/api/twins/{id}")).GetProperty("version").GetInt64().Should().Be(1);
    }
}
