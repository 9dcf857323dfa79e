using DthGrains.Contracts.Ecosystem;
using DthGrains.Domain.Ecosystem;
using DthGrains.Grains.Platform;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// A connection that breaks while a batch commits (RELIABILITY row 6, at its worst moment), made by a relay in front of
/// the real PostgreSQL: after PostgreSQL committed and before the event log heard so, the append is answered as
/// committed, because its events are in the store with the hashes it wrote (before, it was answered "not committed", and
/// its caller's retry met its own events as a rival's); before the COMMIT went out, it is answered as not committed and
/// nothing of it is stored.
/// </summary>
public sealed class CommitOutcomeTests
{
    private static readonly OrganisationDetails Details = new("Cut Clinic", OrganisationType.Hospital, "DE");

    private static object Registered(string stream) => new OrganisationRegistered(stream, Details, DateTimeOffset.UtcNow);

    [Fact]
    public async Task An_append_whose_commit_answer_was_lost_is_answered_as_committed_and_stored_once()
    {
        await using var cutter = PostgresWireCutter.Start();
        await using var store = await LedgerStore.CreateAsync(route: cutter.Route);
        var stream = $"organisation:cut-{Guid.NewGuid():N}";
        cutter.Arm(stream, PostgresWireCutter.Moment.AfterCommitAcknowledged);
        using var lost = new LostCommitAnswers();

        var appended = await store.Log.AppendChainedAsync(stream, 0, [Registered(stream)], LedgerStore.Context);

        cutter.Cuts.Should().Be(1, "the connection broke after PostgreSQL committed, before its answer came back");
        lost.Of("organisation").Should().Equal(["committed"], "operators see the lost answer, and what the store showed");
        appended.Version.Should().Be(1);
        var stored = await store.Log.ReadAsync(stream);
        stored.Should().ContainSingle();
        EventLog.HashOf(stored[0]).Should().Be(appended.HeadHash, "the head the caller holds is the one stored");
        // The stream goes on from the answer the caller got.
        (await store.Log.AppendChainedAsync(stream, 1, [new OrganisationUpdated(stream, Details, DateTimeOffset.UtcNow)], LedgerStore.Context, appended.HeadHash))
            .Version.Should().Be(2);
        (await store.Audit.VerifyAsync(null)).Result!.Ok.Should().BeTrue();
    }

    [Fact]
    public async Task Appends_sharing_a_cut_commit_are_all_answered_as_committed()
    {
        await using var cutter = PostgresWireCutter.Start();
        await using var store = await LedgerStore.CreateAsync(route: cutter.Route);
        const int Streams = 8, MaxRounds = 10;
        var shared = false;
        // Concurrent appends usually share a transaction, but the first may go alone: rounds until a cut hits a shared one.
        for (var round = 0; round < MaxRounds && !shared; round++)
        {
            var prefix = $"organisation:cutb-{Guid.NewGuid():N}";
            var keys = Enumerable.Range(0, Streams).Select(i => $"{prefix}-{i}").ToArray();
            // The last one queued is the likeliest to share its transaction.
            cutter.Arm(keys[^1], PostgresWireCutter.Moment.AfterCommitAcknowledged);
            var results = await Task.WhenAll(keys.Select(k => store.Log.AppendChainedAsync(k, 0, [Registered(k)], LedgerStore.Context)));

            cutter.Cuts.Should().Be(round + 1);
            results.Should().AllSatisfy(r => r.Version.Should().Be(1), "every append of the cut transaction was committed (round {0})", round);
            foreach (var k in keys) (await store.Log.ReadAsync(k)).Should().ContainSingle("{0} was stored once", k);
            var withCut = await store.ScalarAsync<long>(
                "select count(*) from dth.mt_events where stream_id = any(@s) and xmin::text = (select xmin::text from dth.mt_events where stream_id = @cut)",
                ("s", keys), ("cut", keys[^1]));
            shared = withCut > 1;
        }
        shared.Should().BeTrue($"within {MaxRounds} rounds a cut transaction carried several appends");
        (await store.Audit.VerifyAsync(null)).Result!.Ok.Should().BeTrue();
    }

    [Fact]
    public async Task An_append_cut_before_its_commit_is_answered_as_not_committed_and_leaves_nothing()
    {
        await using var cutter = PostgresWireCutter.Start();
        await using var store = await LedgerStore.CreateAsync(route: cutter.Route);
        var stream = $"organisation:cutn-{Guid.NewGuid():N}";
        cutter.Arm(stream, PostgresWireCutter.Moment.BeforeCommit);
        using var lost = new LostCommitAnswers();

        await FluentActions.Awaiting(() => store.Log.AppendChainedAsync(stream, 0, [Registered(stream)], LedgerStore.Context))
            .Should().ThrowAsync<StoreUnavailableException>().WithMessage("*not committed*");
        lost.Of("organisation").Should().Equal(["not-committed"], "the COMMIT went out as far as the event log knows: its answer was lost");

        cutter.Cuts.Should().Be(1);
        (await store.Log.ReadAsync(stream)).Should().BeEmpty();
        (await store.Log.AppendChainedAsync(stream, 0, [Registered(stream)], LedgerStore.Context)).Version.Should().Be(1, "the retry writes it");
    }

    /// <summary>What the ledger's meter reports of lost COMMIT answers while it lives: the tag resolved, by category.</summary>
    private sealed class LostCommitAnswers : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private readonly List<(string? Category, string? Resolved)> _seen = [];

        public LostCommitAnswers()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == LedgerMetrics.MeterName && instrument.Name == "dth.ledger.lost_commit_answers") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? category = null, resolved = null;
                foreach (var tag in tags)
                    if (tag.Key == "category") category = tag.Value as string;
                    else if (tag.Key == "resolved") resolved = tag.Value as string;
                lock (_seen) for (var i = 0; i < value; i++) _seen.Add((category, resolved));
            });
            _listener.Start();
        }

        public string?[] Of(string category)
        {
            lock (_seen) return [.. _seen.Where(m => m.Category == category).Select(m => m.Resolved)];
        }

        public void Dispose() => _listener.Dispose();
    }
}
