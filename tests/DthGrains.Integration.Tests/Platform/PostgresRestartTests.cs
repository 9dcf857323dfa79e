using System.Collections.Concurrent;
using System.Net;
using System.Text;
using DthGrains.Grains.Ecosystem;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Silo.Platform.Postgres;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// RELIABILITY row 6: PostgreSQL restarted (fast, then immediate) while writers append. Every 2xx is in the store
/// with its read model; every other answer is a retryable 503 (never a 500); nothing is half present (an event
/// without its document or the reverse); appends resume after each restart.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _folder = TestPostgres.NewTemporaryFolder("restart");
    private EmbeddedPostgres _server = null!;
    private TestHost _host = null!;

    private EmbeddedPostgresOptions Options => new() { DataDirectory = _folder };

    public async Task InitializeAsync()
    {
        _server = await EmbeddedPostgres.StartAsync(Options);
        await _server.EnsureDatabaseAsync("restart");
        var connectionString = _server.ConnectionStringFor("restart");
        await OrleansSchema.ApplyAsync(connectionString, CancellationToken.None);
        _host = await TestHost.StartAsync(institution: "charite", connectionString: connectionString);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _server.StopAsync();
        TestPostgres.DeleteFolder(_folder);
    }

    [Fact]
    public async Task Appends_survive_fast_and_immediate_restarts_with_every_2xx_stored_and_nothing_half_written()
    {
        var outcomes = new ConcurrentDictionary<string, HttpStatusCode>();
        using var stop = new CancellationTokenSource();
        var admin = _host.ClientAs("platform-admin", "bsc");
        var counter = 0;

        async Task Writer(int writer)
        {
            while (!stop.IsCancellationRequested)
            {
                var id = $"pgr-{writer}-{Interlocked.Increment(ref counter)}";
                HttpStatusCode status;
                try
                {
                    var response = await admin.PostAsync("/api/ecosystem/organisations",
                        new StringContent($$"""{"id":"{{id}}","name":"Restart Clinic {{id}}","type":"hospital","country":"DE"}""", Encoding.UTF8, "application/json"));
                    status = response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    status = 0; // the connection itself failed: counted as a failure below
                }
                outcomes[id] = status;
            }
        }

        int Succeeded() => outcomes.Values.Count(s => s == HttpStatusCode.Created);

        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() => Writer(w))).ToArray();
        try
        {
            foreach (var immediate in new[] { false, true })
            {
                var before = Succeeded();
                await Eventually.Until(() => Task.FromResult(Succeeded()), n => n >= before + 10, TimeSpan.FromSeconds(60), "appends before the restart");
                _server.Stop(immediate);
                output.WriteLine($"stopped ({(immediate ? "immediate" : "fast")}) after {Succeeded()} appends");
                _server = await EmbeddedPostgres.StartAsync(Options);
                var restarted = Succeeded();
                await Eventually.Until(() => Task.FromResult(Succeeded()), n => n >= restarted + 10, TimeSpan.FromSeconds(90), "appends to resume after the restart");
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        var failures = outcomes.Where(o => o.Value != HttpStatusCode.Created).ToList();
        output.WriteLine($"{Succeeded()} created, {failures.Count} refused: {string.Join(", ", failures.GroupBy(f => f.Value).Select(g => $"{g.Key} x{g.Count()}"))}");
        failures.Where(f => f.Value != HttpStatusCode.ServiceUnavailable).Should().BeEmpty("an outage is a retryable 503, never a 500");

        var store = _host.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();
        foreach (var (id, status) in outcomes)
        {
            var stream = $"organisation:{id}";
            var events = (await session.Events.FetchStreamAsync(stream)).Count;
            var document = await session.LoadAsync<EcosystemNodeDocument>(stream);
            if (status == HttpStatusCode.Created) events.Should().Be(1, $"{id} was answered 201");
            (document is not null).Should().Be(events == 1, $"{id}: an event and its read model are written together or not at all");
        }
    }
}
