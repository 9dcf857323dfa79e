using System.Net;
using System.Text.Json;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// A submission whose COMMIT reached PostgreSQL just as the store went away (the connection cut after PostgreSQL
/// committed, and every other connection with it, so the silo cannot even read back what happened): the researcher gets a
/// retryable 503, and the retry with the same Idempotency-Key gets the run that was recorded, which then runs to its end.
/// Before, the run grain's activation had not seen its own submission: the retry was decided again, met the stored
/// submission as a rival's and answered 409, and the run waited for its keep-alive reminder to start.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RunCommitOutcomeTests
{
    /// <param name="anotherRequestFirst">the key is first sent again with another request, which is refused (422) and, in
    /// reloading the run, sets it going (before, the activation then knew the run but did not supervise it: its retry
    /// answered 202 and nothing ran until the keep-alive reminder fired).</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_submission_committed_as_the_store_went_away_is_answered_503_and_its_retry_gets_the_recorded_run_which_completes(bool anotherRequestFirst)
    {
        await using var cutter = PostgresWireCutter.Start();
        var database = await TestPostgres.CreateDatabaseAsync("cut", orleansSchema: true);
        // Shards wait at the gate until the test has seen the retried run's keep-alive reminder.
        var gate = new TestShardGate(_ => true);
        // The keep-alive reminder fires too late to set the run going in this test: only the activation can.
        await using var host = await TestHost.StartAsync(institution: "tum", connectionString: cutter.Route(database),
            settings: new Dictionary<string, string?> { ["Dth:Runs:KeepAlivePeriod"] = "01:00:00" },
            services: s => s.AddSingleton<IShardGate>(gate));
        var carla = host.ClientAs("researcher", "tum", subject: $"cut-{Guid.NewGuid():N}"[..16]);
        var key = $"cut-submission-{Guid.NewGuid():N}";
        HttpRequestMessage Submission(int size = 40)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = Governance.GovernanceTestData.Body(RunTestData.Cohort(size: size, shardSize: 10)) };
            request.Headers.Add("Idempotency-Key", key);
            return request;
        }

        // The key is in the submission's envelope, so the relay knows the transaction that records it.
        cutter.Arm(key, PostgresWireCutter.Moment.AfterCommitAcknowledged, thenDown: true);
        var first = await carla.SendAsync(Submission());
        cutter.Cuts.Should().Be(1);
        first.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, await first.Content.ReadAsStringAsync());
        first.Headers.RetryAfter.Should().NotBeNull();

        cutter.Restore();
        if (anotherRequestFirst)
        {
            var other = await Eventually.Until(() => carla.SendAsync(Submission(size: 41)), r => r.StatusCode != HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(60), "a request past the outage");
            other.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity, await other.Content.ReadAsStringAsync());
        }
        // A client retries a 503; the first tries after the store is back may still meet a connection the cut broke.
        var retried = await Eventually.Until(() => carla.SendAsync(Submission()), r => r.StatusCode != HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(60), "a retry past the outage");
        var text = await retried.Content.ReadAsStringAsync();
        retried.StatusCode.Should().Be(HttpStatusCode.Accepted, text);
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;

        var submitted = (await host.Services.GetRequiredService<EventLog>().ReadAsync(RunEventTypes.StreamOf(id))).Select(e => e.Data).OfType<RunSubmitted>();
        submitted.Should().ContainSingle("the first attempt recorded the run, and the retry is its repeat");
        // The retry set the run going in this activation, its keep-alive reminder included.
        await Eventually.Until(() => RunTestData.KeepAlivesOfAsync(database, id), n => n == 1, TimeSpan.FromSeconds(30), "the retried run's keep-alive reminder");
        gate.Open();
        var done = await RunTestData.WaitForStatusAsync(carla, id, "completed", seconds: 60);
        done.GetProperty("shardsDone").GetInt32().Should().Be(4);
        await Eventually.Until(() => RunTestData.KeepAlivesOfAsync(database, id), n => n == 0, TimeSpan.FromSeconds(30), "the reminder removed once the run ended");
    }
}
