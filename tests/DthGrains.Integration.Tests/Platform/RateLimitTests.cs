using System.Net;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>RELIABILITY row 19: a flood from one token gets 429 with Retry-After; other clients and health probes are unaffected.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync(institution: "charite", settings: new Dictionary<string, string?>
    {
        ["Dth:RateLimit:RequestsPerSecond"] = "2",
        ["Dth:RateLimit:Burst"] = "5",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_flood_from_one_token_is_answered_429_with_retry_after_and_nobody_else_notices()
    {
        var flooder = _host.ClientAs("researcher", "tum", subject: "flooder");
        // 60 requests at once against a bucket of 5 that refills 2 a second: most must be refused, whatever the machine's speed.
        var responses = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => flooder.GetAsync("/api/ecosystem/organisations")));
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        refused.Should().NotBeEmpty();
        responses.Count(r => r.StatusCode == HttpStatusCode.OK).Should().BeGreaterThanOrEqualTo(1).And.BeLessThan(60);
        var first = refused[0];
        first.Headers.RetryAfter.Should().NotBeNull();
        first.Headers.RetryAfter!.Delta.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        first.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await first.Content.ReadAsStringAsync()).Should().Contain("Retry after");

        // Another client has its own bucket; probes and the ledger key are never limited.
        (await _host.ClientAs("researcher", "tum", subject: "bystander").GetAsync("/api/ecosystem/organisations")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await flooder.GetAsync("/health/live")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await flooder.GetAsync("/.well-known/dthgrains-ledger-key")).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
