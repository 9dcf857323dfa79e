using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DthGrains.Contracts.Provenance;
using DthGrains.Domain.Provenance;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Provenance;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Silo.Platform;
using DthGrains.Silo.Provenance;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>Checkpoints, the public key and verification over HTTP on the real host, with auditor and other tokens.</summary>
[Collection(HostCollection.Name)]
public sealed class LedgerApiTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static LedgerCheckpoint Read(string json) => JsonSerializer.Deserialize<LedgerCheckpoint>(json, JsonDefaults.Options)!;

    [Fact]
    public async Task An_auditor_takes_and_downloads_a_checkpoint_that_verifies_with_the_published_key()
    {
        var auditor = Host.ClientAs("auditor", "dth-oversight");
        var taken = await auditor.PostAsync("/api/audit/checkpoints", null);
        taken.StatusCode.Should().Be(HttpStatusCode.Created);
        var checkpoint = Read(await taken.Content.ReadAsStringAsync());
        taken.Headers.Location!.ToString().Should().Be($"/api/audit/checkpoints/{checkpoint.Number}");
        checkpoint.Heads.Should().BeNull("the downloadable document is the small one");

        var latest = Read(await auditor.GetStringAsync("/api/audit/checkpoints/latest"));
        latest.Number.Should().BeGreaterThanOrEqualTo(checkpoint.Number);
        var byNumber = Read(await auditor.GetStringAsync($"/api/audit/checkpoints/{checkpoint.Number}?heads=true"));
        byNumber.Compact().Should().Be(checkpoint);
        StreamHeads.Root(byNumber.Heads!.Value).Should().Be(checkpoint.Root);

        // Anyone can check the signature with the published key, outside the system.
        var jwk = await Host.Client().GetFromJsonAsync<JsonElement>(AuditEndpoints.KeyRoute);
        jwk.GetProperty("kid").GetString().Should().Be(checkpoint.KeyId);
        using var key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = B64(jwk.GetProperty("x").GetString()!), Y = B64(jwk.GetProperty("y").GetString()!) },
        });
        CheckpointSignature.VerifySignature(checkpoint, key).Should().BeTrue();
        var pemRequest = new HttpRequestMessage(HttpMethod.Get, AuditEndpoints.KeyRoute);
        pemRequest.Headers.Accept.ParseAdd("application/x-pem-file");
        (await (await Host.Client().SendAsync(pemRequest)).Content.ReadAsStringAsync()).Should().StartWith("-----BEGIN PUBLIC KEY-----");

        var verified = await auditor.PostAsync("/api/audit/verify", Json(JsonSerializer.Serialize(checkpoint, JsonDefaults.Options)));
        verified.StatusCode.Should().Be(HttpStatusCode.OK);
        var report = await verified.Content.ReadFromJsonAsync<JsonElement>();
        report.GetProperty("ok").GetBoolean().Should().BeTrue(report.ToString());
        report.GetProperty("checkpoint").GetProperty("number").GetInt64().Should().Be(checkpoint.Number);
        report.GetProperty("events").GetInt64().Should().BeGreaterThan(0);

        var latestReport = await (await Host.ClientAs("platform-admin", "bsc").GetAsync("/api/audit/verify")).Content.ReadFromJsonAsync<JsonElement>();
        latestReport.GetProperty("ok").GetBoolean().Should().BeTrue(latestReport.ToString());
    }

    [Fact]
    public async Task Forged_checkpoints_are_refused_with_a_problem_that_says_why()
    {
        var auditor = Host.ClientAs("auditor", "dth-oversight");
        var checkpoint = Read(await (await auditor.PostAsync("/api/audit/checkpoints", null)).Content.ReadAsStringAsync());

        async Task<(HttpStatusCode Status, string Detail)> Post(object body)
        {
            var response = await auditor.PostAsync("/api/audit/verify", Json(body as string ?? JsonSerializer.Serialize(body, JsonDefaults.Options)));
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            return (response.StatusCode, problem.GetProperty("detail").GetString()!);
        }

        var forged = await Post(checkpoint with { Events = checkpoint.Events + 7 });
        forged.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        forged.Detail.Should().Contain("signature does not verify");

        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var wrongKey = await Post(CheckpointSignature.Sign(checkpoint, attacker));
        wrongKey.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        wrongKey.Detail.Should().Contain("not signed by this ledger");

        var full = Read(await auditor.GetStringAsync($"/api/audit/checkpoints/{checkpoint.Number}?heads=true"));
        var heads = full.Heads!.Value;
        var badRoot = await Post(full with { Heads = heads.SetItem(0, heads[0] with { Hash = new string('0', 64) }) });
        badRoot.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        badRoot.Detail.Should().Contain("heads were edited");

        (await Post("""{"format":"dthgrains.ledger.checkpoint/1","number":1}""")).Status.Should().Be(HttpStatusCode.BadRequest);
        (await Post("""{"unknown":1}""")).Status.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Only_auditors_and_platform_admins_read_the_ledger_and_a_refusal_is_recorded()
    {
        var subject = $"researcher-{Guid.NewGuid():N}"[..24];
        var researcher = Host.Client(Host.Token("researcher", "tum", subject));
        var refused = await researcher.GetAsync("/api/audit/verify");
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString().Should().Contain("auditor");
        (await Host.Client().GetAsync("/api/audit/verify")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var stream = DenialRecorder.StreamFor(subject, DateTimeOffset.UtcNow);
        var replay = await Host.ClientAs("auditor", "dth-oversight").GetFromJsonAsync<JsonElement>($"/api/audit/streams/{stream}");
        var denial = replay.GetProperty("events").EnumerateArray().Single();
        denial.GetProperty("eventType").GetString().Should().Be("audit.request_denied");
        denial.GetProperty("body").GetProperty("route").GetString().Should().Be("/api/audit/verify");
        denial.GetProperty("body").GetProperty("method").GetString().Should().Be("GET");
        denial.GetProperty("envelope").GetProperty("actorSubject").GetString().Should().Be(subject);
        denial.GetProperty("hash").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
        replay.GetProperty("chainIntact").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task A_refusal_by_a_route_s_own_rules_is_recorded_too()
    {
        var subject = $"admin-{Guid.NewGuid():N}"[..24];
        // An institution admin of TUM may write organisations, but not Charité: the route itself refuses.
        var admin = Host.Client(Host.Token("institution-admin", "tum", subject));
        var refused = await admin.PutAsync("/api/ecosystem/organisations/charite", Json("""{"name":"Not yours","type":"hospital","country":"DE"}"""));
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var replay = await Host.ClientAs("auditor", "dth-oversight").GetFromJsonAsync<JsonElement>($"/api/audit/streams/{DenialRecorder.StreamFor(subject, DateTimeOffset.UtcNow)}");
        var denial = replay.GetProperty("events").EnumerateArray().Single().GetProperty("body");
        denial.GetProperty("route").GetString().Should().Be("/api/ecosystem/organisations/{id}");
        denial.GetProperty("path").GetString().Should().Be("/api/ecosystem/organisations/charite");
        denial.GetProperty("method").GetString().Should().Be("PUT");
    }

    /// <summary>Fifty refusals of one actor at once: each is recorded, none is lost to the others' appends.</summary>
    [Fact]
    public async Task Every_one_of_many_simultaneous_refusals_of_one_actor_is_recorded()
    {
        var subject = $"researcher-{Guid.NewGuid():N}"[..24];
        var researcher = Host.Client(Host.Token("researcher", "tum", subject));
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => researcher.GetAsync("/api/audit/verify")));
        answers.Should().OnlyContain(a => a.StatusCode == HttpStatusCode.Forbidden);

        var replay = await Host.ClientAs("auditor", "dth-oversight").GetFromJsonAsync<JsonElement>($"/api/audit/streams/{DenialRecorder.StreamFor(subject, DateTimeOffset.UtcNow)}");
        replay.GetProperty("events").GetArrayLength().Should().Be(50);
        replay.GetProperty("chainIntact").GetBoolean().Should().BeTrue();
    }

    /// <summary>
    /// A verification reads the stream table, the events and the rows from one moment: an append committed after the
    /// moment began is in none of them (read a moment apart, a live stream looked tampered with: more events than the
    /// stream table said). An append is made between the reads, deterministically.
    /// </summary>
    [Fact]
    public async Task The_reads_of_one_verification_see_one_moment_whatever_is_appended_between_them()
    {
        var reader = Host.Services.GetRequiredService<LedgerReader>();
        var log = Host.Services.GetRequiredService<EventLog>();
        var subject = $"writer-{Guid.NewGuid():N}"[..24];
        var stream = DenialRecorder.StreamFor(subject, DateTimeOffset.UtcNow);
        var context = new Contracts.Platform.CommandContext(new Contracts.Platform.Actor(subject, subject, "tum", ["researcher"]), "one-moment");
        RequestDenied Denial(int n) => new(subject, "tum", ["researcher"], "GET", "/x", "/x", $"denial {n}", DateTimeOffset.UtcNow);
        await log.AppendAtHeadAsync(stream, [Denial(1)], context);

        await using (var moment = await reader.BeginMomentAsync())
        {
            var table = await reader.StreamTableAsync(moment);
            await log.AppendAtHeadAsync(stream, [Denial(2)], context);
            var versions = new List<long>();
            await foreach (var row in reader.ReadAllAsync(moment))
                if (row.Stream == stream) versions.Add(row.Version);

            table[stream].Should().Be(1);
            versions.Should().Equal(1L);
        }
        var (result, refused) = await Host.Services.GetRequiredService<LedgerAudit>().VerifyAsync(null);
        refused.Should().BeNull();
        result!.Findings.Where(f => f.Stream == stream).Should().BeEmpty();
    }

    /// <summary>A dataset's access log (dataset-access:institution/dataset), named by lineage and verification, is replayed like any stream.</summary>
    [Fact]
    public async Task A_dataset_s_access_log_is_replayed_with_its_slash_raw_or_escaped()
    {
        await Twins.TwinTestData.SeedReady(Host);
        var steward = Host.ClientAs("steward", "charite", subject: $"alice-{Guid.NewGuid():N}"[..16]);
        (await steward.GetAsync("/api/catalogue/resources/charite-t1d-synthetic/versions/1.0.0/payload?purpose=quality-check")).EnsureSuccessStatusCode();
        var auditor = Host.ClientAs("auditor", "dth-oversight");

        foreach (var path in new[] { "/api/audit/streams/dataset-access:charite/charite-t1d-synthetic", "/api/audit/streams/dataset-access:charite%2Fcharite-t1d-synthetic" })
        {
            var response = await auditor.GetAsync(path);
            response.StatusCode.Should().Be(HttpStatusCode.OK, path + ": " + await response.Content.ReadAsStringAsync());
            var replay = await response.Content.ReadFromJsonAsync<JsonElement>();
            replay.GetProperty("events").EnumerateArray().Should().Contain(e => e.GetProperty("eventType").GetString() == "governance.data_accessed");
            replay.GetProperty("chainIntact").GetBoolean().Should().BeTrue();
        }
        (await auditor.GetAsync("/api/audit/streams/dataset-access:charite/")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await auditor.GetAsync("/api/audit/streams/dataset-access:charite//x")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Replay_refuses_bad_stream_keys_and_bad_points_in_time()
    {
        var auditor = Host.ClientAs("auditor", "dth-oversight");
        (await auditor.GetAsync("/api/audit/streams/no-colon")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await auditor.GetAsync("/api/audit/streams/organisation:charite?version=0")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await auditor.GetAsync("/api/audit/streams/organisation:charite?asOf=yesterday")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await auditor.GetAsync("/api/audit/streams/organisation:nobody-here")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await auditor.GetAsync("/api/audit/streams/organisation:charite?asOf=2000-01-01T00:00:00Z")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await auditor.GetAsync("/api/audit/checkpoints/abc")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_periodic_checkpoint_reminder_is_registered_and_its_tick_takes_a_checkpoint()
    {
        await using (var connection = new Npgsql.NpgsqlConnection(Host.Host.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("select count(*) from orleans_reminders where reminder_name = @n", connection);
            command.Parameters.AddWithValue("n", DthGrains.Grains.Provenance.LedgerCheckpointGrain.ReminderName);
            ((long)(await command.ExecuteScalarAsync())!).Should().Be(1, "the silo registers it when it becomes active");
        }

        var auditor = Host.ClientAs("auditor", "dth-oversight");
        var before = Read(await (await auditor.PostAsync("/api/audit/checkpoints", null)).Content.ReadAsStringAsync()).Number;
        var grain = Host.Services.GetRequiredService<IGrainFactory>().GetGrain<ILedgerCheckpointGrain>(ILedgerCheckpointGrain.Key);
        // What the reminder service calls on each tick (waiting for a real tick would take a minute at least).
        await grain.AsReference<IRemindable>().ReceiveReminder(DthGrains.Grains.Provenance.LedgerCheckpointGrain.ReminderName,
            new Orleans.Runtime.TickStatus(DateTime.UtcNow, TimeSpan.FromHours(1), DateTime.UtcNow));
        var after = Read(await auditor.GetStringAsync("/api/audit/checkpoints/latest"));
        after.Number.Should().Be(before + 1);
        var replay = await auditor.GetFromJsonAsync<JsonElement>($"/api/audit/streams/ledger:checkpoints?version={after.Number}");
        replay.GetProperty("events").EnumerateArray().Last().GetProperty("envelope").GetProperty("actorSubject").GetString().Should().Be("system");
    }

    private static byte[] B64(string url)
    {
        CheckpointSignature.TryBase64Url(url, out var bytes).Should().BeTrue();
        return bytes;
    }
}
