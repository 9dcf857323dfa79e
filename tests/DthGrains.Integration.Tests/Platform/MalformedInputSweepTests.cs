using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// Bad input is the caller's mistake: every operation of the OpenAPI document, given ids it cannot take and bodies that
/// are not what it reads, answers a 4xx and never a 5xx (RELIABILITY rows 15-17). New routes are swept automatically.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class MalformedInputSweepTests(HostFixture fixture)
{
    private static readonly string[] BadIds = ["..%2F..%2Fetc", "%2e%2e%2f", new('a', 400), "%D0%B0dmin", "a%20b", "%FF%FE"];

    private static readonly byte[][] BadBodies =
    [
        .. new[]
        {
            "{", "[]", "null", "\"text\"", "{\"a\":" + new string('[', 200) + new string(']', 200) + "}",
            "{\"status\":\"approved\",\"approvedBy\":\"me\",\"institution\":\"elsewhere\"}",
            // Text PostgreSQL cannot store, as a member name (read before any member is known to be unwanted).
            "{\"a\\u0000b\":1}", "{\"\\ud800\":1}",
        }.Select(Encoding.UTF8.GetBytes),
        [.. "{\"a"u8, 0xFF, .. "\":1}"u8],
    ];

    [Fact]
    public async Task Every_operation_answers_bad_ids_and_bad_bodies_with_a_4xx_never_a_5xx()
    {
        var operations = (
            from o in await OpenApiOperations.ListAsync(fixture.Host)
            where !o.Path.EndsWith("/events", StringComparison.Ordinal) // a stream: followed by RunStreamTests
            select (o.Method, o.Path, Body: o.Operation.TryGetProperty("requestBody", out _))).ToList();
        operations.Should().HaveCountGreaterThan(60);

        var probes = 0;
        foreach (var (method, path, body) in operations)
        {
            // A client of its own per operation, so the sweep stays inside each client's rate limit.
            using var client = OpenApiOperations.ProbingClient(fixture.Host, $"sweeper-{probes}");
            var names = Regex.Matches(path, "{([^}]+)}").Select(m => m.Groups[1].Value).ToList();
            foreach (var name in names)
                foreach (var bad in BadIds)
                {
                    var url = names.Aggregate(path, (u, n) => u.Replace($"{{{n}}}", n == name ? bad : "sweep-probe", StringComparison.Ordinal));
                    await ExpectClientErrorAsync(client, method, url, body ? "{}"u8.ToArray() : null);
                    probes++;
                }
            if (!body) continue;
            var target = Regex.Replace(path, "{[^}]+}", "sweep-probe");
            foreach (var bad in BadBodies)
            {
                await ExpectClientErrorAsync(client, method, target, bad);
                probes++;
            }
        }
        probes.Should().BeGreaterThan(300);
    }

    private static async Task ExpectClientErrorAsync(HttpClient client, string method, string url, byte[]? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }
        using var response = await client.SendAsync(request);
        ((int)response.StatusCode).Should().BeInRange(400, 499, "{0} {1} with {2}: {3}", method, url,
            body is null ? "no body" : Encoding.UTF8.GetString(body), await response.Content.ReadAsStringAsync());
        response.StatusCode.Should().NotBe(HttpStatusCode.TooManyRequests, "the sweep must reach the routes, not the rate limit");
    }
}
