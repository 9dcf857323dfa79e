using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Fhir.Synthetic;
using DthGrains.Integration.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Twins;

/// <summary>
/// A seeded host of its own (these tests release a model version and revoke grants, which the shared host's other tests
/// must not see), whose every log line and trace is captured for the PII sweep.
/// </summary>
public sealed class TwinHostFixture : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public ConcurrentQueue<string> Logs { get; } = new();

    public ConcurrentQueue<string> Traces { get; } = new();

    private ActivityListener? _listener;

    public async Task InitializeAsync()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => Traces.Enqueue($"{a.DisplayName} {string.Join(' ', a.TagObjects.Select(t => $"{t.Key}={t.Value}"))} {string.Join(' ', a.Baggage.Select(b => $"{b.Key}={b.Value}"))}"),
        };
        ActivitySource.AddActivityListener(_listener);
        Host = await TestHost.StartAsync(seed: true, settings: new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information" },
            services: s => s.AddSingleton<ILoggerProvider>(new CapturingLoggerProvider(Logs)));
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        _listener?.Dispose();
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Capturing(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                lines.Enqueue($"{category} scope {state}");
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{category} {logLevel} {formatter(state, exception)} {exception}");
        }
    }
}

public sealed class TwinStalenessAndPrivacyTests(TwinHostFixture fixture) : IClassFixture<TwinHostFixture>
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task A_model_release_and_a_grant_revocation_mark_the_twin_stale_with_the_reason_unprompted_and_a_stale_twin_cannot_be_active()
    {
        await SeedReady(Host);
        var carla = Host.ClientAs("researcher", "tum", $"carla-{Guid.NewGuid():N}"[..16]);
        var (requestId, _) = await GrantAsync(Host, carla);
        var id = await ValidatedTwinAsync(carla, CharitéData, "synth-00001");
        (await PostOk(carla, $"/api/twins/{id}/activate")).GetProperty("status").GetString().Should().Be("active");

        // A modeller releases a new version of the model: the twin learns of it without anyone touching it (the list is the read model).
        var release = await Host.ClientAs("modeller", "tum").PostAsync("/api/catalogue/resources/hovorka-2004/versions",
            AsJson(new { version = "1.1.0", releaseNotes = "Refined gut absorption.", checksum = "sha256:1234" }));
        release.StatusCode.Should().Be(HttpStatusCode.Created, await release.Content.ReadAsStringAsync());
        var stale = await Eventually.Until(() => ListedAsync(carla, id), t => t.GetProperty("status").GetString() == "stale", TimeSpan.FromSeconds(30), "the twin to be marked stale");
        stale.GetProperty("staleReasons").EnumerateArray().Single().GetString().Should().Contain("1.1.0").And.Contain("1.0.0");

        var (status, text) = await PostRaw(carla, $"/api/twins/{id}/activate");
        status.Should().Be(HttpStatusCode.Conflict);
        text.Should().Contain("stale");
        var view = await carla.GetFromJsonAsync<JsonElement>($"/api/twins/{id}");
        view.GetProperty("credibility").GetProperty("header").GetProperty("adequacyAssessment").GetString().Should().Contain("stale");

        // Recalibration moves the twin onto 1.1.0; revalidated, it may be active again.
        (await PostOk(carla, $"/api/twins/{id}/calibrate")).GetProperty("modelVersion").GetString().Should().Be("1.1.0");
        await PostOk(carla, $"/api/twins/{id}/validate");
        (await PostOk(carla, $"/api/twins/{id}/activate")).GetProperty("status").GetString().Should().Be("active");

        // The steward revokes the grant: stale again, with the steward's reason; recalibration needs the data linked anew, which is refused.
        var alice = Host.ClientAs("steward", "charite", subject: "alice-steward");
        var request = await alice.GetAsync($"/api/access/requests/{requestId}");
        (await alice.SendAsync(Governance.GovernanceTestData.WithIfMatch(HttpMethod.Post, $"/api/access/requests/{requestId}/revoke",
            new { reason = "Consent withdrawn for secondary use." }, request.Headers.ETag!.Tag))).EnsureSuccessStatusCode();
        stale = await Eventually.Until(() => ListedAsync(carla, id), t => t.GetProperty("status").GetString() == "stale", TimeSpan.FromSeconds(30), "the twin to be marked stale");
        stale.GetProperty("staleReasons").EnumerateArray().Single().GetString().Should().Contain("Consent withdrawn");
        (await PostRaw(carla, $"/api/twins/{id}/activate")).Status.Should().Be(HttpStatusCode.Conflict);
        (await PostRaw(carla, $"/api/twins/{id}/calibrate")).Text.Should().Contain("link the data again");
        (await PostRaw(carla, $"/api/twins/{id}/link", new { datasetId = CharitéData, subject = "synth-00001" })).Status.Should().Be(HttpStatusCode.Forbidden);
        (await PostRaw(carla, $"/api/twins/{id}/scenarios", LighterBreakfast)).Status.Should().Be(HttpStatusCode.Conflict);

        var history = await carla.GetFromJsonAsync<JsonElement>($"/api/twins/{id}/history");
        var marks = history.EnumerateArray().Where(e => e.GetProperty("eventType").GetString() == "twins.marked_stale").ToList();
        marks.Should().HaveCount(2);
        marks.Select(m => JsonDocument.Parse(m.GetProperty("bodyJson").GetString()!).RootElement.GetProperty("cause").GetString()).Should().Equal("model-version", "grant");
        marks.Should().OnlyContain(m => m.GetProperty("envelope").GetProperty("actorSubject").GetString() == "system", "the platform, not a user, records staleness");
    }

    /// <summary>Canary values in the Patient resource: none may reach the twin's events, read model, exports, history, logs or traces.</summary>
    [Fact]
    public async Task No_name_birth_date_or_identifier_from_the_fhir_data_reaches_events_exports_logs_or_traces()
    {
        const string Family = "Qzcanaryfamily", Given = "Qzcanarygiven", BirthDate = "1961-07-13", Identifier = "QZCANARY-ID-7731";
        await SeedReady(Host);
        var patient = SyntheticPatients.GeneratePatient(new SyntheticCohortRequest("hovorka", 1, 3, 99), 0);
        var bundle = JsonNode.Parse(patient.BundleJson)!;
        var resource = bundle["entry"]!.AsArray().Select(e => e!["resource"]!).Single(r => r["resourceType"]!.GetValue<string>() == "Patient");
        resource["name"] = new JsonArray(new JsonObject { ["family"] = Family, ["given"] = new JsonArray(Given) });
        resource["birthDate"] = BirthDate;
        resource["identifier"] = new JsonArray(new JsonObject { ["system"] = "urn:oid:1.2.276.0.76.4.8", ["value"] = Identifier });

        var steward = Host.ClientAs("steward", "charite", "alice-steward");
        var dataset = $"canary-{Guid.NewGuid():N}"[..20];
        (await steward.PostAsync("/api/catalogue/resources", Draft(dataset, "dataset", RestrictedDatasetMetadata("Canary cohort")))).EnsureSuccessStatusCode();
        var upload = await steward.PostAsync($"/api/catalogue/resources/{dataset}/versions?version=1.0.0&notes=canary", AsFhir(bundle.ToJsonString()));
        upload.StatusCode.Should().Be(HttpStatusCode.Created, await upload.Content.ReadAsStringAsync());
        // Positive control: the owner's payload does hold the canaries, so a leak would be found.
        (await steward.GetStringAsync($"/api/catalogue/resources/{dataset}/versions/1.0.0/payload?purpose=quality-check")).Should().Contain(Family).And.Contain(BirthDate).And.Contain(Identifier);

        // A Charité researcher (a member of the owner) builds a twin on the canary subject.
        var rita = Host.ClientAs("researcher", "charite", $"rita-{Guid.NewGuid():N}"[..16]);
        var id = await ValidatedTwinAsync(rita, dataset, patient.Pseudonym);
        var outputs = new List<string>
        {
            (await PostOk(rita, $"/api/twins/{id}/scenarios", LighterBreakfast)).GetRawText(),
            (await PostOk(rita, $"/api/twins/{id}/activate")).GetRawText(),
            await rita.GetStringAsync($"/api/twins/{id}/fhir"),
            await rita.GetStringAsync($"/api/twins/{id}/history"),
            await rita.GetStringAsync("/api/twins?limit=100"),
            await Host.ClientAs("auditor", "dth-oversight").GetStringAsync($"/api/audit/streams/twin:{id}"),
        };
        await using (var connection = Host.Services.GetRequiredService<IDocumentStore>().Storage.Database.CreateConnection())
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "select data::text || ' ' || coalesce(headers::text, '') from dth.mt_events";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) outputs.Add(reader.GetString(0));
        }
        outputs.AddRange(fixture.Logs);
        outputs.AddRange(fixture.Traces);

        outputs.Should().Contain(o => o.Contains(patient.Pseudonym), "the pseudonym is what the twin records, so the sweep does see the twin's outputs");
        foreach (var canary in new[] { Family, Given, BirthDate, Identifier })
            outputs.Where(o => o.Contains(canary, StringComparison.OrdinalIgnoreCase)).Should().BeEmpty($"'{canary}' must not leave the owner's payload store");
    }
}
