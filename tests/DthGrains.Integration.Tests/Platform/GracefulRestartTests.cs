using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Ecosystem;
using DthGrains.Grains.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// RELIABILITY row 2: one of two silos is stopped gracefully and started again while a writer keeps appending
/// through the other. Nothing is lost or duplicated (every 201 is exactly one event, no stream has two), and the
/// callers see at most a retryable 503, never a 500.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class GracefulRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_silo_stopped_and_restarted_under_traffic_loses_and_duplicates_nothing()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("graceful", orleansSchema: true);
        var clusterId = $"graceful-{Guid.NewGuid():N}";
        // One researcher submits runs back to back: the cap on their unfinished runs is lifted, this test is not about it.
        static void Uncapped(IServiceCollection services) => services.Configure<RunOptions>(o => o.MaxActiveRunsPerResearcher = 0);
        await using var stable = await TestHost.StartAsync("charite", "data", connectionString: connectionString, clusterId: clusterId, services: Uncapped);
        var leaving = await TestHost.StartAsync("bsc", "hpc", connectionString: connectionString, clusterId: clusterId, services: Uncapped);

        var outcomes = new ConcurrentDictionary<string, HttpStatusCode>();
        using var stop = new CancellationTokenSource();
        var admin = stable.ClientAs("platform-admin", "bsc");
        var counter = 0;
        async Task Writer(int writer)
        {
            while (!stop.IsCancellationRequested)
            {
                // New ids: their grains are placed on either silo, so about half the calls cross to the one that leaves.
                var id = $"gr-{writer}-{Interlocked.Increment(ref counter)}";
                var response = await admin.PostAsync("/api/ecosystem/organisations",
                    new StringContent($$"""{"id":"{{id}}","name":"Graceful {{id}}","type":"hospital","country":"DE"}""", Encoding.UTF8, "application/json"));
                outcomes[id] = response.StatusCode;
            }
        }
        int Created() => outcomes.Values.Count(s => s == HttpStatusCode.Created);

        // A client that tries its run submissions again after a 503 with the same Idempotency-Key, as the CLI does: a try
        // the platform recorded before the silo left is answered as the first, never recorded twice.
        var subject = $"graceful-{Guid.NewGuid():N}"[..20];
        var researcher = stable.ClientAs("researcher", "tum", subject: subject);
        var submissions = new ConcurrentDictionary<string, (HttpStatusCode Status, int Tries, string? RunId)>();
        async Task Submitter()
        {
            while (!stop.IsCancellationRequested)
            {
                var key = $"run-{submissions.Count}";
                HttpResponseMessage response;
                var tries = 0;
                do
                {
                    tries++;
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs")
                    {
                        Content = new StringContent("""{"kind":"cohort-trial","model":"hovorka","size":8,"seed":1,"duration":60}""", Encoding.UTF8, "application/json"),
                    };
                    request.Headers.Add("Idempotency-Key", key);
                    response = await researcher.SendAsync(request);
                }
                while (response.StatusCode == HttpStatusCode.ServiceUnavailable && tries < 20);
                var runId = response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString() : null;
                submissions[key] = (response.StatusCode, tries, runId);
            }
        }

        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() => Writer(w))).Append(Task.Run(Submitter)).ToArray();
        try
        {
            await Eventually.Until(() => Task.FromResult(Created()), n => n >= 15, TimeSpan.FromSeconds(60), "appends on two silos");
            await leaving.DisposeAsync();
            var afterStop = Created();
            await Eventually.Until(() => Task.FromResult(Created()), n => n >= afterStop + 10, TimeSpan.FromSeconds(60), "appends on the remaining silo");
            leaving = await TestHost.StartAsync("bsc", "hpc", connectionString: connectionString, clusterId: clusterId);
            var afterRestart = Created();
            await Eventually.Until(() => Task.FromResult(Created()), n => n >= afterRestart + 15, TimeSpan.FromSeconds(60), "appends with the silo back");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            await leaving.DisposeAsync();
        }

        var failures = outcomes.Where(o => o.Value != HttpStatusCode.Created).ToList();
        output.WriteLine($"{Created()} created, {failures.Count} refused: {string.Join(", ", failures.GroupBy(f => f.Value).Select(g => $"{g.Key} x{g.Count()}"))}");
        failures.Where(f => f.Value != HttpStatusCode.ServiceUnavailable).Should().BeEmpty("a silo leaving is at most a retryable 503");

        var store = stable.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();

        output.WriteLine($"{submissions.Count} run submissions, {submissions.Values.Count(v => v.Tries > 1)} of them tried again after a 503");
        submissions.Should().NotBeEmpty();
        submissions.Values.Should().AllSatisfy(v => v.Status.Should().Be(HttpStatusCode.Accepted, "a submission tried again ends accepted"));
        submissions.Values.Select(v => v.RunId).Distinct().Should().HaveCount(submissions.Count, "one run per key");
        foreach (var (key, (_, _, runId)) in submissions)
            (await session.Events.FetchStreamAsync(RunEventTypes.StreamOf(runId!))).Count(e => e.Data is RunSubmitted).Should().Be(1, $"{key} was recorded once");
        (await session.Query<RunDocument>().CountAsync(r => r.Owner == subject)).Should().Be(submissions.Count, "no try made a run of its own");
        foreach (var (id, status) in outcomes)
        {
            var stream = $"organisation:{id}";
            var events = (await session.Events.FetchStreamAsync(stream)).Count;
            events.Should().BeLessThanOrEqualTo(1, $"{id} was sent once: no duplicate");
            if (status == HttpStatusCode.Created) events.Should().Be(1, $"{id} was answered 201: not lost");
            ((await session.LoadAsync<EcosystemNodeDocument>(stream)) is not null).Should().Be(events == 1, $"{id}: event and read model together");
        }
    }
}
