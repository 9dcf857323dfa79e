using System.Collections.Concurrent;
using System.Net;
using DthGrains.Cli.Platform;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Integration.Tests.Cli;

/// <summary>
/// The CLI's client against a loopback server that answers as the platform does when a store is briefly away (503 with
/// Retry-After) or a quota is reached (429 without one): commands carry one Idempotency-Key across their tries, so the
/// platform can answer a try it had recorded as the first; final answers are not tried again.
/// </summary>
public sealed class ApiClientRetryTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Method, string? Key)> _seen = new();
    private readonly ConcurrentQueue<int> _answers = new();
    private WebApplication _server = null!;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.Run(async http =>
        {
            _seen.Enqueue((http.Request.Method, http.Request.Headers["Idempotency-Key"].FirstOrDefault()));
            var status = _answers.TryDequeue(out var s) ? s : 200;
            http.Response.StatusCode = status;
            if (status == 503) http.Response.Headers.RetryAfter = "0";
            http.Response.ContentType = status == 200 ? "application/json" : "application/problem+json";
            await http.Response.WriteAsync(status == 200 ? """{"id":"r1"}""" : $$"""{"title":"answer {{status}}","status":{{status}}}""");
        });
        await _server.StartAsync();
        _address = new Uri(_server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ApiClient Client() => new(new HttpClient { BaseAddress = _address });

    [Fact]
    public async Task A_command_answered_503_is_sent_again_with_the_same_idempotency_key_until_it_succeeds()
    {
        _answers.Enqueue(503);
        _answers.Enqueue(503);
        using var client = Client();
        var answer = await client.SendAsync(HttpMethod.Post, "/api/runs", new { kind = "single" });

        answer.GetProperty("id").GetString().Should().Be("r1");
        var seen = _seen.ToList();
        seen.Should().HaveCount(3);
        seen.Select(s => s.Key).Distinct().Should().ContainSingle().Which.Should().MatchRegex("^[0-9a-f]{32}$");
        // The next command is another command: a key of its own.
        await client.SendAsync(HttpMethod.Post, "/api/runs", new { kind = "single" });
        _seen.Last().Key.Should().NotBe(seen[0].Key);
    }

    [Fact]
    public async Task Tries_stop_after_the_last_attempt_and_the_503_is_shown()
    {
        for (var i = 0; i < ApiClient.MaxAttempts; i++) _answers.Enqueue(503);
        using var client = Client();
        var act = () => client.SendAsync(HttpMethod.Post, "/api/runs", new { kind = "single" });
        (await act.Should().ThrowAsync<ApiException>()).Which.Status.Should().Be(503);
        _seen.Should().HaveCount(ApiClient.MaxAttempts);
    }

    [Fact]
    public async Task A_429_without_retry_after_is_final_and_reads_carry_no_key()
    {
        _answers.Enqueue(429);
        using var client = Client();
        var act = () => client.SendAsync(HttpMethod.Post, "/api/runs", new { kind = "single" });
        (await act.Should().ThrowAsync<ApiException>()).Which.Message.Should().Contain("answer 429");
        _seen.Should().ContainSingle();

        await client.GetAsync("/api/runs");
        _seen.Last().Should().Be(("GET", (string?)null));
    }
}
