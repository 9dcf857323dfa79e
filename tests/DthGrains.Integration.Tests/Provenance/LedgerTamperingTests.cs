using System.Security.Cryptography;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Provenance;
using DthGrains.Domain.Provenance;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// RELIABILITY.md row 9 and invariant 5 on a real PostgreSQL: tampering with Marten's <c>dth.mt_events</c> by raw
/// SQL is detected and located exactly; a cut tail against a checkpoint taken before the cut; forged checkpoints refused.
/// </summary>
public sealed class LedgerTamperingTests
{
    private static async Task<(LedgerStore Store, string A, string B)> TwoStreams()
    {
        var store = await LedgerStore.CreateAsync();
        var a = await store.WriteOrganisationAsync($"a-{Guid.NewGuid():N}"[..20], 6);
        var b = await store.WriteOrganisationAsync($"b-{Guid.NewGuid():N}"[..20], 3);
        return (store, a, b);
    }

    private static async Task<LedgerVerification> Verify(LedgerStore store, LedgerCheckpoint? given = null)
    {
        var (result, refused) = await store.Audit.VerifyAsync(given);
        refused.Should().BeNull();
        return result!;
    }

    [Fact]
    public async Task An_untouched_ledger_verifies_and_every_stored_hash_recomputes_from_the_stored_json()
    {
        var (store, a, b) = await TwoStreams();
        await using var _ = store;
        var checkpoint = await store.Checkpoints.TakeAsync(LedgerStore.Context);

        var result = await Verify(store);
        result.Ok.Should().BeTrue();
        result.Findings.Should().BeEmpty();
        result.Events.Should().Be(10, "6 + 3 events and the checkpoint record");
        result.Streams.Should().Be(3);
        result.Checkpoint!.Number.Should().Be(checkpoint.Number);
        result.Checkpoint.Matches.Should().BeTrue();

        // The round trip through jsonb (key order, spacing, escapes) does not change a hash.
        await foreach (var row in store.Reader.ReadAllAsync())
        {
            row.StoredHash.Should().NotBeNull();
            LedgerHash.Compute(row.Content(row.Version, row.StoredPreviousHash!)).Should().Be(row.StoredHash);
        }
    }

    [Fact]
    public async Task An_edited_body_is_named_by_stream_version_and_global_sequence()
    {
        var (store, a, _) = await TwoStreams();
        await using var _s = store;
        await store.SqlAsync("update dth.mt_events set data = jsonb_set(data, '{details,country}', '\"FR\"') where stream_id = @s and version = 4", ("s", a));

        var result = await Verify(store);
        result.Ok.Should().BeFalse();
        result.Findings.Should().ContainSingle();
        result.FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.ContentEdited, Stream = a, Version = 4L, Sequence = await store.SequenceOf(a, 4) });
    }

    /// <summary>
    /// As-of replay cuts the stream at a moment read from each row's own header. A row whose recorded time was moved past
    /// the moment by hand (an edited revocation, say) is left out of the state then, and the chain is still checked over
    /// it: the replay says broken, never intact with the tampered row quietly out of sight. An unreadable time is no 500.
    /// </summary>
    [Fact]
    public async Task An_as_of_replay_still_checks_a_row_whose_recorded_time_was_moved_past_the_moment()
    {
        var (store, a, _) = await TwoStreams();
        await using var _s = store;
        var replayer = store.Get<DthGrains.Grains.Provenance.StreamReplayer>();
        var now = DateTimeOffset.UtcNow.AddSeconds(1);
        (await replayer.ReplayAsync(a, null, now))!.ChainIntact.Should().BeTrue();

        await store.SqlAsync("update dth.mt_events set headers = jsonb_set(headers, '{recorded_at}', '\"2099-01-01T00:00:00.0000000+00:00\"') where stream_id = @s and version = 6", ("s", a));
        var replay = (await replayer.ReplayAsync(a, null, now))!;
        replay.Version.Should().Be(5, "the moved row is after the moment");
        replay.ChainIntact.Should().BeFalse();
        replay.ChainProblem!.Version.Should().Be(6);

        await store.SqlAsync("update dth.mt_events set headers = jsonb_set(headers, '{recorded_at}', '\"not a time\"') where stream_id = @s and version = 6", ("s", a));
        replay = (await replayer.ReplayAsync(a, null, now))!;
        replay.ChainIntact.Should().BeFalse();
        replay.ChainProblem!.Version.Should().Be(6);
    }

    [Fact]
    public async Task A_deleted_middle_event_is_named_by_its_version()
    {
        var (store, a, _) = await TwoStreams();
        await using var _s = store;
        var after = await store.SequenceOf(a, 4);
        (await store.SqlAsync("delete from dth.mt_events where stream_id = @s and version = 3", ("s", a))).Should().Be(1);

        var result = await Verify(store);
        result.Findings.Should().ContainSingle();
        result.FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.EventMissing, Stream = a, Version = 3L, Sequence = after });
    }

    [Fact]
    public async Task Two_events_whose_data_is_swapped_are_named_as_a_swap()
    {
        var (store, a, _) = await TwoStreams();
        await using var _s = store;
        await store.SqlAsync("""
            update dth.mt_events e set data = o.data
            from dth.mt_events o
            where e.stream_id = @s and o.stream_id = @s and ((e.version = 2 and o.version = 5) or (e.version = 5 and o.version = 2))
            """, ("s", a));

        var result = await Verify(store);
        result.Findings.Should().ContainSingle();
        result.FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.OrderSwapped, Stream = a, Version = 2L, Sequence = await store.SequenceOf(a, 2), RelatedVersion = 5L });
    }

    [Fact]
    public async Task A_cut_tail_is_found_only_against_a_checkpoint_taken_before_the_cut()
    {
        var (store, a, _) = await TwoStreams();
        await using var _s = store;
        var held = await store.Checkpoints.TakeAsync(LedgerStore.Context);

        // A careful attacker: the last two events go, the stream table follows, and the checkpoint record goes too.
        await store.SqlAsync("delete from dth.mt_events where stream_id = @s and version > 4", ("s", a));
        await store.SqlAsync("update dth.mt_streams set version = 4 where id = @s", ("s", a));
        await store.SqlAsync("delete from dth.mt_events where stream_id = 'ledger:checkpoints'");
        await store.SqlAsync("delete from dth.mt_streams where id = 'ledger:checkpoints'");

        (await Verify(store)).Ok.Should().BeTrue("without a checkpoint a shorter chain is still a valid chain");

        var full = await Verify(store, held);
        full.Ok.Should().BeFalse();
        full.Checkpoint!.Matches.Should().BeFalse();
        full.Findings.Should().Contain(f => f.Kind == LedgerFindingKind.TailCut && f.Stream == a && f.Version == 5 && f.RelatedVersion == 6);

        // The small document (root and signature only) still fails the verification; it names the missing record.
        var small = await Verify(store, held.Compact());
        small.Ok.Should().BeFalse();
        small.Findings.Should().Contain(f => f.Kind == LedgerFindingKind.CheckpointRecordAltered && f.Version == held.Number);
    }

    [Fact]
    public async Task A_cut_tail_is_located_with_the_small_document_when_the_checkpoint_record_is_intact()
    {
        var (store, _, b) = await TwoStreams();
        await using var _s = store;
        var held = (await store.Checkpoints.TakeAsync(LedgerStore.Context)).Compact();
        await store.SqlAsync("delete from dth.mt_events where stream_id = @s and version = 3", ("s", b));
        await store.SqlAsync("update dth.mt_streams set version = 2 where id = @s", ("s", b));

        var result = await Verify(store, held);
        result.Findings.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.TailCut, Stream = b, Version = 3L, RelatedVersion = 3L });
        (await Verify(store)).FirstBroken!.Kind.Should().Be(LedgerFindingKind.TailCut, "the latest stored checkpoint predates the cut too");
    }

    [Fact]
    public async Task Forged_signatures_wrong_keys_and_edited_heads_are_refused()
    {
        var (store, _, _) = await TwoStreams();
        await using var _s = store;
        var taken = await store.Checkpoints.TakeAsync(LedgerStore.Context);
        var genuine = (await store.Checkpoints.ReadAsync(taken.Number, withHeads: true))!;
        genuine.Should().Be(taken with { Heads = genuine.Heads }, "the stored record gives back the signed checkpoint");
        (await store.Audit.VerifyAsync(genuine)).Refused.Should().BeNull();

        async Task<Problem> Refused(LedgerCheckpoint c) => (await store.Audit.VerifyAsync(c)).Refused!;

        (await Refused(genuine with { Events = genuine.Events + 1 })).Detail.Should().Contain("signature does not verify");

        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ownKey = CheckpointSignature.Sign(genuine with { Events = 1 }, attacker);
        (await Refused(ownKey)).Detail.Should().Contain("not signed by this ledger");
        (await Refused(ownKey with { KeyId = genuine.KeyId })).Detail.Should().Contain("signature does not verify");

        var heads = genuine.Heads!.Value;
        (await Refused(genuine with { Heads = heads.SetItem(0, heads[0] with { Version = heads[0].Version + 1 }) })).Detail.Should().Contain("heads were edited");

        // Re-signing edited heads needs the ledger's private key: with any other key it is refused as above.
        var edited = CheckpointSignature.Sign(genuine with { Heads = heads.RemoveAt(0), Streams = heads.Length - 1, Root = StreamHeads.Root(heads.RemoveAt(0)) }, attacker);
        (await Refused(edited with { KeyId = genuine.KeyId })).Kind.Should().Be(ProblemKind.Unprocessable);
    }

    [Fact]
    public async Task An_edited_checkpoint_record_is_caught_when_a_small_document_is_held()
    {
        var (store, _, _) = await TwoStreams();
        await using var _s = store;
        var held = (await store.Checkpoints.TakeAsync(LedgerStore.Context)).Compact();
        // The record's heads are edited to hide a later cut; its own chain link is re-hashed away too (headers dropped).
        await store.SqlAsync("""
            update dth.mt_events set data = jsonb_set(data, '{heads,0,version}', '1')
            where stream_id = 'ledger:checkpoints' and version = 1
            """);

        var result = await Verify(store, held);
        result.Ok.Should().BeFalse();
        result.Findings.Should().Contain(f => f.Kind == LedgerFindingKind.CheckpointRecordAltered);
        result.Findings.Should().Contain(f => f.Kind == LedgerFindingKind.ContentEdited && f.Stream == "ledger:checkpoints");
    }
}
