using DthGrains.Contracts.Ecosystem;
using DthGrains.Domain.Ecosystem;
using DthGrains.Grains.Platform;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// Group commit keeps every stream's expected-version check (RELIABILITY.md row 4): concurrent appends on distinct
/// streams share transactions, a conflicting append fails alone, and no innocent append in its batch fails with it.
/// </summary>
public sealed class GroupCommitTests
{
    private static readonly OrganisationDetails Details = new("Batch Clinic", OrganisationType.Hospital, "DE");

    [Fact]
    public async Task Concurrent_appends_share_transactions_and_only_the_loser_of_a_race_fails()
    {
        await using var store = await LedgerStore.CreateAsync();
        const int Rounds = 15, Streams = 8;
        var wins = 0;
        var streams = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var keys = Enumerable.Range(0, Streams).Select(i => $"organisation:gc-{round}-{i}-{Guid.NewGuid():N}"[..40]).ToArray();
            streams.AddRange(keys);
            var heads = await Task.WhenAll(keys.Select(k => store.Log.AppendChainedAsync(k, 0, [new OrganisationRegistered(k, Details, DateTimeOffset.UtcNow)], LedgerStore.Context)));

            // Every stream gets one append at version 1; stream 0 gets a second, racing one at the same version.
            var innocent = keys.Select((k, i) => Append(store.Log, k, 1, heads[i].HeadHash)).ToArray();
            var rival = Append(store.Log, keys[0], 1, heads[0].HeadHash);
            var results = await Task.WhenAll(innocent.Append(rival));

            results.Skip(1).Take(Streams - 1).Should().AllSatisfy(r => r.Should().BeTrue(), "appends on other streams are innocent (round {0})", round);
            (results[0] ^ results[Streams]).Should().BeTrue("exactly one of two writers at version 1 of one stream wins (round {0})", round);
            wins++;
        }
        wins.Should().Be(Rounds);

        // Rows written by one transaction share xmin: fewer transactions than appends means batches were shared.
        var transactions = await store.ScalarAsync<long>("select count(distinct xmin::text) from dth.mt_events where stream_id = any(@s) and version = 2", ("s", streams.ToArray()));
        transactions.Should().BeLessThan(Rounds * Streams, "concurrent appends share commits");

        var (result, _) = await store.Audit.VerifyAsync(null);
        result!.Ok.Should().BeTrue(string.Join("; ", result.Findings.Select(f => $"{f.Kind} {f.Stream}@{f.Version}: {f.Detail}")));
        result.Events.Should().Be(Rounds * Streams * 2);
    }

    [Fact]
    public async Task An_append_cancelled_while_it_waits_is_not_written_and_a_stale_expected_version_is_a_conflict()
    {
        await using var store = await LedgerStore.CreateAsync();
        var stream = await store.WriteOrganisationAsync($"c-{Guid.NewGuid():N}"[..20], 2);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await FluentActions.Awaiting(() => store.Log.AppendAsync(stream, 2, [new OrganisationUpdated("c", Details, DateTimeOffset.UtcNow)], LedgerStore.Context, cancelled.Token))
            .Should().ThrowAsync<OperationCanceledException>();
        await FluentActions.Awaiting(() => store.Log.AppendAsync(stream, 1, [new OrganisationUpdated("c", Details, DateTimeOffset.UtcNow)], LedgerStore.Context))
            .Should().ThrowAsync<StreamConflictException>();
        await FluentActions.Awaiting(() => store.Log.AppendAsync(stream, 5, [new OrganisationUpdated("c", Details, DateTimeOffset.UtcNow)], LedgerStore.Context))
            .Should().ThrowAsync<StreamConflictException>("an expected version from the future is refused too");
        await FluentActions.Awaiting(() => store.Log.AppendAsync(stream, 0, [new OrganisationRegistered("c", Details, DateTimeOffset.UtcNow)], LedgerStore.Context))
            .Should().ThrowAsync<StreamConflictException>("starting a stream that another writer started is a lost race too, not a failure");
        (await store.Log.ReadAsync(stream)).Should().HaveCount(2);

        // Without the caller's head hash the log looks it up: the chain stays intact.
        await store.Log.AppendAsync(stream, 2, [new OrganisationUpdated("c", Details with { Name = "Looked up" }, DateTimeOffset.UtcNow)], LedgerStore.Context);
        (await store.Audit.VerifyAsync(null)).Result!.Ok.Should().BeTrue();
    }

    [Fact]
    public async Task Projections_see_one_append_at_a_time_and_what_the_appends_before_it_in_the_batch_wrote()
    {
        var probe = new ProbeProjection();
        await using var store = await LedgerStore.CreateAsync(s => s.AddSingleton<IInlineProjection>(probe));
        await store.Get<Marten.IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await store.Get<Marten.IDocumentStore>().Storage.Database.EnsureStorageExistsAsync(typeof(ProbeDocument));
        var keys = Enumerable.Range(0, 40).Select(i => $"organisation:probe-{i}-{Guid.NewGuid():N}"[..40]).ToArray();
        await Task.WhenAll(keys.Select(k => store.Log.AppendAsync(k, 0, [new OrganisationRegistered(k, Details, DateTimeOffset.UtcNow), new OrganisationUpdated(k, Details, DateTimeOffset.UtcNow)], LedgerStore.Context)));

        probe.Calls.Should().HaveCount(keys.Length);
        probe.Calls.Should().OnlyContain(c => c.Streams == 1 && c.Versions.SequenceEqual(new long[] { 1, 2 }), "each call carries one append: one stream, in version order");
        probe.SawStagedWrites.Should().BeTrue("an append later in a batch reads what an earlier one wrote in the same transaction");
        (await store.ScalarAsync<long>("select count(*) from dth.mt_doc_groupcommittests_probedocument")).Should().Be(keys.Length);
    }

    public sealed class ProbeDocument
    {
        public string Id { get; set; } = "";
    }

    /// <summary>Records what each call received; reads the documents written before it in the same transaction.</summary>
    private sealed class ProbeProjection : IInlineProjection
    {
        public System.Collections.Concurrent.ConcurrentBag<(int Streams, long[] Versions)> Calls { get; } = [];

        public bool SawStagedWrites { get; private set; }

        public async Task ProjectAsync(Marten.IDocumentSession session, IReadOnlyList<PendingEvent> events, CancellationToken ct)
        {
            Calls.Add((events.Select(e => e.StreamKey).Distinct().Count(), events.Select(e => e.Version).ToArray()));
            // Documents of this batch's earlier appends are readable only if they were flushed into this transaction.
            await using (var command = session.Connection!.CreateCommand())
            {
                command.CommandText = "select count(*) from dth.mt_doc_groupcommittests_probedocument " +
                                      "where xmin::text::bigint = pg_current_xact_id()::text::bigint % 4294967296";
                if ((long)(await command.ExecuteScalarAsync(ct))! > 0) SawStagedWrites = true;
            }
            session.Store(new ProbeDocument { Id = events[0].StreamKey });
        }
    }

    private static async Task<bool> Append(EventLog log, string stream, long expected, string? head)
    {
        try
        {
            await log.AppendChainedAsync(stream, expected, [new OrganisationUpdated(stream, Details with { Name = Guid.NewGuid().ToString("N") }, DateTimeOffset.UtcNow)], LedgerStore.Context, head);
            return true;
        }
        catch (StreamConflictException)
        {
            return false;
        }
    }

    /// <summary>
    /// Log-like streams (access logs, denials) are appended at their head by writers racing each other: every append lands,
    /// each at its own version, and the chain stays whole. Without the retry on a new head, all but one would conflict.
    /// </summary>
    [Fact]
    public async Task Racing_appends_at_the_head_of_one_stream_all_land_in_turn_and_keep_the_chain()
    {
        await using var store = await LedgerStore.CreateAsync();
        const int Writers = 6;
        var stream = $"organisation:head-{Guid.NewGuid():N}"[..40];
        var versions = await Task.WhenAll(Enumerable.Range(0, Writers).Select(i =>
            store.Log.AppendAtHeadAsync(stream, [new OrganisationUpdated($"w{i}", Details, DateTimeOffset.UtcNow)], LedgerStore.Context, retries: Writers)));

        versions.Should().BeEquivalentTo(Enumerable.Range(1, Writers).Select(v => (long)v), "each append took the next version");
        (await store.Log.ReadAsync(stream)).Select(e => ((OrganisationUpdated)e.Data).Id).Should().BeEquivalentTo(Enumerable.Range(0, Writers).Select(i => $"w{i}"));
        var (result, _) = await store.Audit.VerifyAsync(null);
        result!.Ok.Should().BeTrue(string.Join("; ", result.Findings.Select(f => $"{f.Kind} {f.Stream}@{f.Version}: {f.Detail}")));
    }
}
