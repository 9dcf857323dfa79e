using System.Globalization;
using System.Net;
using DthGrains.Domain.Provenance;
using DthGrains.Grains.Provenance;
using DthGrains.Integration.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// The lineage facts live in PostgreSQL, shared by the silos: a silo reads from the ledger only what no silo has read
/// before, several silos catching up at once read each event once, a long ledger is read in chunks, and the facts can
/// be dropped and read again to the same lineage. The services here stand for other silos' (same database, own state).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LineageStoreTests
{
    [Fact]
    public async Task Silos_share_the_facts_read_each_event_once_and_the_facts_can_be_read_again_from_the_ledger()
    {
        await using var host = await TestHost.StartAsync("charite", alsoHosts: []);
        var (reader, store) = (host.Services.GetRequiredService<LedgerReader>(), host.Services.GetRequiredService<IDocumentStore>());
        // The host's own service also reads the ledger now and then (LineageCatchUp): counts are of every service.
        var hosted = host.Services.GetRequiredService<LineageService>();
        var modeller = host.ClientAs("modeller", "charite");
        for (var i = 0; i < 3; i++)
            (await modeller.PostAsync("/api/catalogue/resources", Draft($"store-model-{i}", "model", ModelMetadata()))).EnsureSuccessStatusCode();

        // Two releases of a model drafted earlier: what they state rests on the stream's memory (its kind, the release before).
        foreach (var version in new[] { "1.0.0", "1.1.0" })
            (await modeller.PostAsync("/api/catalogue/resources/store-model-0/versions", AsJson(new { version, releaseNotes = "r", checksum = "sha256:abc" })))
                .EnsureSuccessStatusCode();

        var first = new LineageService(reader, store);
        var original = await first.LineageAsync("resource:store-model-0@1.1.0", 2);
        original.Should().NotBeNull();
        original!.Graph.Nodes.Single(n => n.Id == "resource:store-model-0@1.1.0").Type.Should().Be("model-version");
        original.Graph.Edges.Should().Contain(e => e.From == "resource:store-model-0@1.1.0" && e.Relation == ProvRelation.WasRevisionOf && e.To == "resource:store-model-0@1.0.0");
        (first.EventsRead + hosted.EventsRead).Should().BeGreaterThanOrEqualTo(5, "the ledger is read by the first silo to ask (or the host's catch-up)");

        // Another silo finds the facts there and reads nothing.
        var second = new LineageService(reader, store);
        Same(await second.LineageAsync("resource:store-model-0@1.1.0", 2), original);
        second.EventsRead.Should().Be(0);

        // A new event is read once, by whichever silo asks first; the other finds it there.
        (await modeller.PostAsync("/api/catalogue/resources", Draft("store-model-new", "model", ModelMetadata()))).EnsureSuccessStatusCode();
        var total = () => first.EventsRead + second.EventsRead + hosted.EventsRead;
        var before = total();
        (await second.LineageAsync("resource:store-model-new", 1)).Should().NotBeNull();
        total().Should().Be(before + 1);
        var readBefore = first.EventsRead;
        (await first.LineageAsync("resource:store-model-new", 1)).Should().NotBeNull();
        first.EventsRead.Should().Be(readBefore);

        // Silos catching up at the same moment: each new event is read by one of them, and none fails on the other.
        for (var i = 0; i < 4; i++)
            (await modeller.PostAsync("/api/catalogue/resources", Draft($"store-model-race-{i}", "model", ModelMetadata()))).EnsureSuccessStatusCode();
        before = total();
        var race = await Task.WhenAll(first.LineageAsync("resource:store-model-race-0", 1), second.LineageAsync("resource:store-model-race-3", 1));
        race.Should().OnlyContain(l => l != null);
        total().Should().Be(before + 4);

        // The facts are derived: dropped, they are read again from the ledger, in small chunks (a stream's events in
        // several, so its memory is kept from one to the next), to the same lineage.
        var everything = total();
        var hostedBefore = hosted.EventsRead;
        await LineageStore.EmptyAsync(store);
        var rebuilt = new LineageService(reader, store, chunkSize: 2);
        Same(await rebuilt.LineageAsync("resource:store-model-0@1.1.0", 2), original);
        (rebuilt.EventsRead + hosted.EventsRead - hostedBefore).Should().Be(everything, "every event read once more, whatever the chunks");
        var (low, gaps) = await rebuilt.FrontierAsync();
        gaps.Should().BeEmpty();
        low.Should().Be((await reader.SnapshotAsync()).MaxSequence);
    }

    [Fact]
    public async Task Each_silo_reads_what_is_new_into_the_store_without_being_asked()
    {
        await using var host = await TestHost.StartAsync("charite", alsoHosts: [],
            settings: new Dictionary<string, string?> { ["Dth:Ledger:LineageCatchUp"] = "00:00:00.2" });
        var (reader, store) = (host.Services.GetRequiredService<LedgerReader>(), host.Services.GetRequiredService<IDocumentStore>());
        var hosted = host.Services.GetRequiredService<LineageService>();
        var modeller = host.ClientAs("modeller", "charite");
        (await modeller.PostAsync("/api/catalogue/resources", Draft("caught-up-model", "model", ModelMetadata()))).EnsureSuccessStatusCode();
        var sequence = (await reader.SnapshotAsync()).MaxSequence;

        // No one asks; the host's catch-up reads the draft into the store.
        await Eventually.Until(() => Task.FromResult(hosted.EventsRead), read => read > 0, TimeSpan.FromSeconds(30), "the host's catch-up to read the ledger");
        await Eventually.Until(async () =>
        {
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("select count(*) from dth.lineage_nodes where id = 'resource:caught-up-model'", connection);
            return (long)(await command.ExecuteScalarAsync())!;
        }, found => found == 1, TimeSpan.FromSeconds(30), "the draft's node in the store");

        // A query then reads nothing more of the ledger than what came since.
        var asked = new LineageService(reader, store);
        (await asked.LineageAsync("resource:caught-up-model", 1)).Should().NotBeNull();
        asked.EventsRead.Should().BeLessThanOrEqualTo((await reader.SnapshotAsync()).MaxSequence - sequence);
    }

    [Fact]
    public async Task A_catch_up_behind_a_stuck_one_gives_up_as_a_transient_fault_and_goes_on_once_it_has_ended()
    {
        await using var host = await TestHost.StartAsync("charite", alsoHosts: []);
        var (reader, store) = (host.Services.GetRequiredService<LedgerReader>(), host.Services.GetRequiredService<IDocumentStore>());
        var modeller = host.ClientAs("modeller", "charite");
        (await modeller.PostAsync("/api/catalogue/resources", Draft("stuck-model", "model", ModelMetadata()))).EnsureSuccessStatusCode();
        (await new LineageService(reader, store).LineageAsync("resource:stuck-model", 1)).Should().NotBeNull();

        // Another silo's catch-up holds the store's lock and hangs (its silo cut off mid-transaction).
        await using var stuck = store.Storage.Database.CreateConnection();
        await stuck.OpenAsync();
        await using var held = await stuck.BeginTransactionAsync();
        await using (var lockIt = new NpgsqlCommand("select 1 from dth.lineage_progress where id = 1 for update", stuck, held))
            await lockIt.ExecuteNonQueryAsync();

        var waiting = new LineageService(reader, store, lockTimeout: TimeSpan.FromMilliseconds(300));
        var thrown = (await waiting.Awaiting(w => w.LineageAsync("resource:stuck-model", 1)).Should().ThrowAsync<PostgresException>()).Which;
        thrown.SqlState.Should().Be(PostgresErrorCodes.LockNotAvailable);
        DthGrains.Silo.Platform.OutageExceptionHandler.IsTransient(thrown).Should().BeTrue("the API answers it with a retryable 503, not a 500");

        await held.RollbackAsync();
        (await waiting.LineageAsync("resource:stuck-model", 1)).Should().NotBeNull();
    }

    [Fact]
    public async Task A_query_far_behind_the_ledger_answers_503_with_how_far_the_reading_has_come_and_each_retry_reads_on()
    {
        // A query may read 3 events; no background catch-up, so only the queries read.
        await using var host = await TestHost.StartAsync("charite", alsoHosts: [],
            settings: new Dictionary<string, string?> { ["Dth:Ledger:LineageCatchUp"] = "00:00:00", ["Dth:Ledger:LineageQueryBudget"] = "3" });
        var (reader, store) = (host.Services.GetRequiredService<LedgerReader>(), host.Services.GetRequiredService<IDocumentStore>());
        var modeller = host.ClientAs("modeller", "charite");
        for (var i = 0; i < 6; i++)
            (await modeller.PostAsync("/api/catalogue/resources", Draft($"behind-model-{i}", "model", ModelMetadata()))).EnsureSuccessStatusCode();
        await LineageStore.EmptyAsync(store);
        var events = await CountAboveAsync(store, 0);
        events.Should().BeGreaterThan(6);

        var auditor = host.ClientAs("auditor", "dth-oversight");
        var behind = await auditor.GetAsync("/api/audit/lineage?entity=resource:behind-model-0");
        behind.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        behind.Headers.RetryAfter!.Delta.Should().BePositive();
        behind.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var ledger = await reader.HighestSequenceAsync();
        (await behind.Content.ReadAsStringAsync()).Should().Contain("still reading the ledger")
            .And.Contain(string.Create(CultureInfo.InvariantCulture, $"of {ledger:N0}"));
        var fhir = await auditor.GetAsync("/api/audit/lineage/fhir?entity=resource:behind-model-0");
        fhir.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        fhir.Content.Headers.ContentType!.MediaType.Should().Be("application/fhir+json");
        (await fhir.Content.ReadAsStringAsync()).Should().Contain("transient").And.Contain("still reading the ledger");
        (await CountAboveAsync(store, await StoreHighestAsync(store))).Should().Be(events - 6, "each of the two queries read its budget of 3 into the store");

        // Every retry reads its budget on, so retries alone get there: in as many as the events left need, and no more.
        var retries = 0;
        HttpResponseMessage answer;
        do
        {
            answer = await auditor.GetAsync("/api/audit/lineage?entity=resource:behind-model-0");
            retries++;
        }
        while (answer.StatusCode == HttpStatusCode.ServiceUnavailable && retries <= events);
        answer.StatusCode.Should().Be(HttpStatusCode.OK);
        retries.Should().Be((int)Math.Max(1, Math.Ceiling((events - 6) / 3.0)));

        // A budget that ends exactly at the ledger's end answers; one event short of it does not.
        foreach (var id in new[] { "behind-model-last", "behind-model-after-last" })
            (await modeller.PostAsync("/api/catalogue/resources", Draft(id, "model", ModelMetadata()))).EnsureSuccessStatusCode();
        var left = (int)await CountAboveAsync(store, await StoreHighestAsync(store));
        left.Should().BeGreaterThanOrEqualTo(2);
        await new LineageService(reader, store, queryBudget: left - 1).Awaiting(s => s.LineageAsync("resource:behind-model-last", 1))
            .Should().ThrowAsync<LineageCatchingUpException>();
        (await new LineageService(reader, store, queryBudget: 1).LineageAsync("resource:behind-model-after-last", 1)).Should().NotBeNull(
            "the one event left fills the budget exactly, and the ledger ends there");
    }

    [Fact]
    public async Task A_query_takes_its_turn_between_the_chunks_of_a_long_background_reading_instead_of_waiting_for_its_end()
    {
        await using var host = await TestHost.StartAsync("charite", alsoHosts: [],
            settings: new Dictionary<string, string?> { ["Dth:Ledger:LineageCatchUp"] = "00:00:00" });
        var (reader, store) = (host.Services.GetRequiredService<LedgerReader>(), host.Services.GetRequiredService<IDocumentStore>());
        var modeller = host.ClientAs("modeller", "charite");
        for (var i = 0; i < 6; i++)
            (await modeller.PostAsync("/api/catalogue/resources", Draft($"turns-model-{i}", "model", ModelMetadata()))).EnsureSuccessStatusCode();
        await LineageStore.EmptyAsync(store);
        (await CountAboveAsync(store, 0)).Should().BeGreaterThanOrEqualTo(5, "more than the background's first chunk and the query's budget");

        // One silo's service: chunks of 2 events, queries may read 2. The background reading stops after its first chunk
        // (outside the per-chunk gate) until the query has answered.
        var silo = new LineageService(reader, store, chunkSize: 2, queryBudget: 2);
        using var midway = new SemaphoreSlim(0);
        using var answered = new SemaphoreSlim(0);
        var chunks = 0;
        var background = Task.Run(() => silo.CatchUpAsync(_ =>
        {
            if (Interlocked.Increment(ref chunks) != 1) return;
            midway.Release();
            answered.Wait(TimeSpan.FromMinutes(2));
        }, CancellationToken.None));
        (await midway.WaitAsync(TimeSpan.FromMinutes(1))).Should().BeTrue("the background reading has read its first chunk");

        // A gate held for a whole catch-up would keep the query waiting for the reading that waits for the query.
        async Task<Exception?> Query()
        {
            try
            {
                await silo.LineageAsync("resource:turns-model-0", 1);
                return null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        }
        // It takes its turn between two chunks (a TimeoutException here: it waited for the reading's end, which waits for it).
        (await Query().WaitAsync(TimeSpan.FromMinutes(1))).Should().BeOfType<LineageCatchingUpException>("its budget of 2 ends before the ledger does: a 503 at once");
        background.IsCompleted.Should().BeFalse("the background reading is still mid-way");

        answered.Release();
        await background;
        (await silo.LineageAsync("resource:turns-model-0", 1)).Should().NotBeNull("the background reading has reached the end of the ledger");
    }

    private static async Task<long> StoreHighestAsync(IDocumentStore store)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select coalesce((frontier::jsonb ->> 'highest')::bigint, 0) from dth.lineage_progress where id = 1", connection);
        return (long)((await command.ExecuteScalarAsync()) ?? 0L);
    }

    private static async Task<long> CountAboveAsync(IDocumentStore store, long sequence)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from dth.mt_events where seq_id > @after", connection);
        command.Parameters.AddWithValue("after", sequence);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task An_event_that_cannot_be_read_stops_the_lineage_loudly_naming_its_stream()
    {
        // No catch-up between queries: the damaged event is read first by the query below.
        await using var host = await TestHost.StartAsync("charite", alsoHosts: [],
            settings: new Dictionary<string, string?> { ["Dth:Ledger:LineageCatchUp"] = "00:00:00" });
        var modeller = host.ClientAs("modeller", "charite");
        (await modeller.PostAsync("/api/catalogue/resources", Draft("damaged-model", "model", ModelMetadata()))).EnsureSuccessStatusCode();
        await using (var connection = new NpgsqlConnection(host.Host.ConnectionString))
        {
            await connection.OpenAsync();
            // A string field becomes an array: the stored body no longer fits its type.
            await using var edit = new NpgsqlCommand("update dth.mt_events set data = jsonb_set(data, '{id}', '[1,2]') where stream_id = 'resource:damaged-model'", connection);
            (await edit.ExecuteNonQueryAsync()).Should().Be(1);
        }

        var lineage = await host.ClientAs("auditor", "dth-oversight").GetAsync("/api/audit/lineage?entity=resource:damaged-model");
        lineage.StatusCode.Should().Be(HttpStatusCode.InternalServerError, "a lineage that skipped the event would silently miss what it states");
        lineage.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await lineage.Content.ReadAsStringAsync()).Should().Contain("resource:damaged-model").And.Contain("cannot be read");
        (await host.Client().GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
    }

    /// <summary>The same lineage: nodes, edges in the same order (ids, relations, events) and the same evidence.</summary>
    private static void Same(Lineage? actual, Lineage? expected)
    {
        actual.Should().NotBeNull();
        actual!.Graph.Nodes.Should().BeEquivalentTo(expected!.Graph.Nodes, o => o.WithStrictOrdering());
        actual.Graph.Edges.Select(e => (e.From, e.Relation, e.To, e.Stream, e.Version, e.At))
            .Should().Equal(expected.Graph.Edges.Select(e => (e.From, e.Relation, e.To, e.Stream, e.Version, e.At)));
        actual.Evidence.Should().BeEquivalentTo(expected.Evidence, o => o.WithStrictOrdering());
    }
}
