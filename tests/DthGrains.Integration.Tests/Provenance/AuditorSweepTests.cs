using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DthGrains.Cli.Identity;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Silo.Provenance;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// RELIABILITY.md row 11: every mutating route of the app's own OpenAPI document gives 403 to an auditor token,
/// appends nothing, and records the denial. New routes of any capability are swept automatically.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class AuditorSweepTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    private static readonly string[] MutatingMethods = ["post", "put", "patch", "delete"];

    [Theory]
    [InlineData("auditor")]
    [InlineData("auditor", "platform-admin")]
    public async Task Every_mutating_route_refuses_an_auditor_appends_nothing_and_records_the_denial(params string[] roles)
    {
        var document = await Host.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var routes = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Where(m => MutatingMethods.Contains(m.Name)).Select(m => (Method: m.Name.ToUpperInvariant(), Path: p.Name)))
            .ToList();
        var auditActs = AuditActRoutes();
        auditActs.Should().BeEquivalentTo(["POST /api/audit/checkpoints", "POST /api/audit/verify"], "only acts of audit are open to auditors, and they change no domain state");
        var swept = routes.Where(r => !auditActs.Contains($"{r.Method} {r.Path}")).ToList();
        swept.Should().Contain(("PUT", "/api/ecosystem/organisations/{id}")).And.Contain(("DELETE", "/api/ecosystem/relations"));

        var subject = $"sweep-{Guid.NewGuid():N}"[..24];
        var token = StandaloneTokens.Mint(Host.KeyPath, new StandaloneTokens.Request(subject, "Sweeping Auditor", "dth-oversight", roles, TimeSpan.FromMinutes(10)));
        var client = Host.Client(token);
        var before = await DomainEventCount();

        foreach (var (method, path) in swept)
        {
            var url = System.Text.RegularExpressions.Regex.Replace(path, "{[^}]+}", "sweep-probe");
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (method != "DELETE") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            var response = await client.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, "{0} {1} must refuse an auditor before reading its body", method, path);
            (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString().Should().Contain("read-only");
        }

        (await DomainEventCount()).Should().Be(before, "a refused request appends nothing");
        var denials = await Denials(subject);
        denials.Select(d => $"{d.Method} {d.Route}").Should().BeEquivalentTo(swept.Select(r => $"{r.Method} {r.Path}"), "each denial is recorded, with its route");
        (await ByActorOtherThanDenials(subject)).Should().Be(0);
    }

    private List<string> AuditActRoutes() =>
        Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<AuditAct>() is not null)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToList();

    /// <summary>Events by anyone but the platform itself (whose background work may run), other than denial records.</summary>
    private Task<long> DomainEventCount() =>
        Scalar("select count(*) from dth.mt_events where stream_id <> 'mt_tombstone' and type <> 'audit.request_denied' and coalesce(headers ->> 'actor_sub', '') <> 'system'");

    private Task<long> ByActorOtherThanDenials(string subject) =>
        Scalar("select count(*) from dth.mt_events where type <> 'audit.request_denied' and headers ->> 'actor_sub' = @s", subject);

    private async Task<List<(string Method, string Route)>> Denials(string subject)
    {
        await using var connection = new NpgsqlConnection(Host.Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select data ->> 'method', data ->> 'route' from dth.mt_events where type = 'audit.request_denied' and headers ->> 'actor_sub' = @s and data ->> 'subject' = @s", connection);
        command.Parameters.AddWithValue("s", subject);
        await using var reader = await command.ExecuteReaderAsync();
        var list = new List<(string, string)>();
        while (await reader.ReadAsync()) list.Add((reader.GetString(0), reader.GetString(1)));
        return list;
    }

    private async Task<long> Scalar(string sql, string? subject = null)
    {
        await using var connection = new NpgsqlConnection(Host.Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (subject is not null) command.Parameters.AddWithValue("s", subject);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
