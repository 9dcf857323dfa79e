using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;
using DthGrains.Cli.Audit;
using DthGrains.Cli.Platform;
using DthGrains.Integration.Tests.Infrastructure;
using Npgsql;
using Spectre.Console;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// Issue 5's "done when", with the real <c>dth</c> commands on a host of its own (it is tampered with): an auditor
/// keeps a checkpoint, verifies (OK), an event is altered by SQL, and the next verification names that event.
/// In the host collection only so that no other CLI test redirects the console at the same time.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class AuditCliTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dth-audit-cli-").FullName;
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync(institution: "charite");

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private Task<(int Code, string Output)> Dth(string token, params string[] args) => CliRunner.RunAsync(_host.BaseAddress, token, args);

    [Fact]
    public async Task An_auditor_keeps_a_checkpoint_verifies_and_the_verification_names_an_event_altered_with_sql()
    {
        var admin = _host.ClientAs("platform-admin", "bsc");
        var id = $"cli-{Guid.NewGuid():N}"[..20];
        (await admin.PostAsync("/api/ecosystem/organisations", new StringContent($$"""{"id":"{{id}}","name":"Audit Clinic","type":"hospital","country":"DE"}""", Encoding.UTF8, "application/json")))
            .StatusCode.Should().Be(HttpStatusCode.Created);
        for (var i = 0; i < 3; i++)
            (await admin.PutAsync($"/api/ecosystem/organisations/{id}", new StringContent($$"""{"name":"Audit Clinic {{i}}","type":"hospital","country":"DE"}""", Encoding.UTF8, "application/json")))
                .StatusCode.Should().Be(HttpStatusCode.OK);

        var auditor = _host.Token("auditor", "dth-oversight");
        var file = Path.Combine(_folder, "checkpoint.json");
        var (taken, takenOutput) = await Dth(auditor, "audit", "checkpoint", "--out", file);
        taken.Should().Be(0, takenOutput);
        File.Exists(file).Should().BeTrue();
        JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement.GetProperty("signature").GetString().Should().NotBeNullOrEmpty();

        var (ok, okOutput) = await Dth(auditor, "audit", "verify", "--checkpoint", file);
        ok.Should().Be(0, okOutput);
        okOutput.Should().Contain("OK");

        var (replayed, replayOutput) = await Dth(auditor, "audit", "stream", $"organisation:{id}", "--version", "2");
        replayed.Should().Be(0, replayOutput);
        replayOutput.Should().Contain("ecosystem.organisation_updated").And.Contain("Hash chain intact").And.Contain("Audit Clinic 0");
        // A page of one event at a time: the command reads every page and shows the stream whole.
        var (paged, pagedOutput) = await Dth(auditor, "audit", "stream", $"organisation:{id}", "--page-size", "1", "--json");
        paged.Should().Be(0, pagedOutput);
        var whole = JsonDocument.Parse(pagedOutput).RootElement;
        whole.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("version").GetInt64()).Should().Equal(1, 2, 3, 4);
        whole.TryGetProperty("nextAfter", out _).Should().BeFalse();
        whole.GetProperty("state").GetProperty("name").GetString().Should().Be("Audit Clinic 2");

        long sequence;
        await using (var connection = new NpgsqlConnection(_host.Host.ConnectionString))
        {
            await connection.OpenAsync();
            await using var edit = new NpgsqlCommand(
                "update dth.mt_events set data = jsonb_set(data, '{details,name}', '\"Someone Else\"') where stream_id = @s and version = 3 returning seq_id", connection);
            edit.Parameters.AddWithValue("s", $"organisation:{id}");
            sequence = (long)(await edit.ExecuteScalarAsync())!;
        }

        var (broken, brokenOutput) = await Dth(auditor, "audit", "verify", "--checkpoint", file, "--json");
        broken.Should().Be(AuditCommands.Broken, brokenOutput);
        var report = JsonDocument.Parse(brokenOutput[brokenOutput.IndexOf('{')..]).RootElement;
        var first = report.GetProperty("firstBroken");
        first.GetProperty("kind").GetString().Should().Be("content-edited");
        first.GetProperty("stream").GetString().Should().Be($"organisation:{id}");
        first.GetProperty("version").GetInt64().Should().Be(3);
        first.GetProperty("sequence").GetInt64().Should().Be(sequence);

        var (_, table) = await Dth(auditor, "audit", "verify");
        table.Should().Contain("BROKEN").And.Contain($"organisation:{id}");

        var (denied, deniedOutput) = await Dth(_host.Token("researcher", "tum"), "audit", "verify");
        denied.Should().Be(3, deniedOutput);
    }
}
