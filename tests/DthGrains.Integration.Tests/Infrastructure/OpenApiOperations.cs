using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Cli.Identity;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>The operations of a host's own OpenAPI document, and a client that reaches every one of them: for tests that sweep every route.</summary>
public static class OpenApiOperations
{
    /// <summary>Every role but the auditor's, which refuses every write before reading it.</summary>
    private static readonly string[] EveryRoleButAuditor =
        ["researcher", "steward", "modeller", "clinician", "institution-admin", "platform-admin", "data-protection-officer"];

    /// <summary>Each operation: its method (upper case), path template and OpenAPI description.</summary>
    public static async Task<List<(string Method, string Path, JsonElement Operation)>> ListAsync(TestHost host)
    {
        var document = await host.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        return [.. document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (m.Name.ToUpperInvariant(), p.Name, m.Value)))];
    }

    /// <summary>A client of its own (its own rate-limit bucket) whose token holds every role but the auditor's, so a probe reaches its route.</summary>
    public static HttpClient ProbingClient(TestHost host, string subject) =>
        host.Client(StandaloneTokens.Mint(host.KeyPath, new StandaloneTokens.Request(subject, "Prober", "charite", EveryRoleButAuditor, TimeSpan.FromMinutes(10))));
}
