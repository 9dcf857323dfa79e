using System.Net;
using System.Text;
using DthGrains.Integration.Tests.Infrastructure;
using Npgsql;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// RELIABILITY row 8: an event that cannot be deserialized stops its readers loudly (a 500 naming the stream, never a
/// silent skip) and turns readiness unhealthy; the ledger verifier still locates it. On a host of its own, since it
/// leaves the host unhealthy.
/// </summary>
public sealed class UnreadableEventTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync(institution: "charite");

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_event_that_cannot_be_read_fails_its_readers_loudly_and_turns_readiness_unhealthy()
    {
        var admin = _host.ClientAs("platform-admin", "bsc");
        var id = $"unread-{Guid.NewGuid():N}"[..20];
        (await admin.PostAsync("/api/ecosystem/organisations", new StringContent($$"""{"id":"{{id}}","name":"Broken Clinic","type":"hospital","country":"DE"}""", Encoding.UTF8, "application/json")))
            .StatusCode.Should().Be(HttpStatusCode.Created);
        await Eventually.Until(async () => (await _host.Client().GetAsync("/health/ready")).StatusCode, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "the host to be ready");

        await using (var connection = new NpgsqlConnection(_host.Host.ConnectionString))
        {
            await connection.OpenAsync();
            // A string field becomes an array: the stored body no longer fits its type.
            await using var edit = new NpgsqlCommand("update dth.mt_events set data = jsonb_set(data, '{id}', '[1,2]') where stream_id = @s and version = 1", connection);
            edit.Parameters.AddWithValue("s", $"organisation:{id}");
            (await edit.ExecuteNonQueryAsync()).Should().Be(1);
        }

        var history = await admin.GetAsync($"/api/ecosystem/organisations/{id}/history");
        history.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        history.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await history.Content.ReadAsStringAsync();
        problem.Should().Contain($"organisation:{id}").And.Contain("cannot be read").And.Contain("/api/audit/verify");

        var ready = await _host.Client().GetAsync("/health/ready");
        ready.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);

        var verify = await _host.ClientAs("auditor", "dth-oversight").GetAsync("/api/audit/verify");
        var report = await verify.Content.ReadAsStringAsync();
        report.Should().Contain($"organisation:{id}", "the verifier names the damaged stream");
    }
}
