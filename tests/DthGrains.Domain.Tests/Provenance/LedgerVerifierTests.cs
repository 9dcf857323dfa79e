using System.Security.Cryptography;
using System.Text;
using DthGrains.Contracts.Provenance;
using DthGrains.Domain.Provenance;

namespace DthGrains.Domain.Tests.Provenance;

public sealed class LedgerVerifierTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
    private static readonly ECDsa Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>An in-memory ledger: streams of correctly chained rows, global sequences interleaved.</summary>
    private static List<LedgerRow> Ledger(params (string Stream, int Events)[] streams)
    {
        var rows = new List<LedgerRow>();
        long sequence = 0;
        foreach (var (stream, count) in streams)
        {
            var previous = LedgerHash.Genesis;
            for (var v = 1; v <= count; v++)
            {
                var body = Encoding.UTF8.GetBytes($$"""{"name":"{{stream}} v{{v}}","n":{{v}}}""");
                var headers = Encoding.UTF8.GetBytes($$"""{"actor_sub":"alice","recorded_at":"2026-11-25T10:00:{{v:00}}.0000000Z"}""");
                var row = new LedgerRow(++sequence, stream, v, "test.happened", body, headers, $"corr-{v}", null, null, previous);
                var hash = LedgerHash.Compute(row.Content(v, previous));
                rows.Add(row with { StoredHash = hash });
                previous = hash;
            }
        }
        return rows;
    }

    private static LedgerVerification Verify(IEnumerable<LedgerRow> rows, LedgerCheckpoint? checkpoint = null, IReadOnlyDictionary<string, long>? table = null)
    {
        var verifier = new LedgerVerifier(checkpoint, table);
        foreach (var row in rows) verifier.Add(row);
        return verifier.Complete(Now);
    }

    private static LedgerCheckpoint CheckpointOf(IEnumerable<LedgerRow> rows)
    {
        var heads = rows.GroupBy(r => r.Stream).Select(g => g.MaxBy(r => r.Version)!).Select(r => new StreamHead(r.Stream, r.Version, r.StoredHash!)).ToArray();
        var list = rows.ToList();
        return CheckpointSignature.Sign(new LedgerCheckpoint(LedgerCheckpoint.CurrentFormat, 1, Now, StreamHeads.Root(heads), heads.Length,
            list.Count, list.Max(r => r.Sequence), "", "", [.. heads]), Key);
    }

    private static List<LedgerRow> Replace(List<LedgerRow> rows, string stream, long version, Func<LedgerRow, LedgerRow> change) =>
        rows.Select(r => r.Stream == stream && r.Version == version ? change(r) : r).ToList();

    [Fact]
    public void An_untouched_ledger_verifies_with_counts_and_its_current_root()
    {
        var rows = Ledger(("a", 5), ("b", 3), ("c", 1));
        var result = Verify(rows, CheckpointOf(rows), rows.GroupBy(r => r.Stream).ToDictionary(g => g.Key, g => (long)g.Count()));
        result.Ok.Should().BeTrue();
        result.Findings.Should().BeEmpty();
        result.Events.Should().Be(9);
        result.Streams.Should().Be(3);
        result.Checkpoint!.Matches.Should().BeTrue();
        result.CurrentRoot.Should().Be(CheckpointOf(rows).Root);
    }

    [Fact]
    public void An_edited_body_is_located_at_its_stream_version_and_sequence()
    {
        var rows = Replace(Ledger(("a", 5), ("b", 3)), "a", 3, r => r with { BodyJson = Encoding.UTF8.GetBytes("""{"name":"forged","n":3}""") });
        var result = Verify(rows);
        result.Ok.Should().BeFalse();
        result.Findings.Should().ContainSingle();
        result.FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.ContentEdited, Stream = "a", Version = 3L, Sequence = 3L });
    }

    [Fact]
    public void An_edited_envelope_or_type_is_a_content_edit_too()
    {
        var rows = Ledger(("a", 4));
        Verify(Replace(rows, "a", 2, r => r with { HeadersJson = Encoding.UTF8.GetBytes("""{"actor_sub":"mallory","recorded_at":"2026-11-25T10:00:02.0000000Z"}""") }))
            .FirstBroken!.Kind.Should().Be(LedgerFindingKind.ContentEdited);
        Verify(Replace(rows, "a", 4, r => r with { EventType = "test.other" })).FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.ContentEdited, Version = 4L });
        Verify(Replace(rows, "a", 1, r => r with { CorrelationId = "x" })).FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.ContentEdited, Version = 1L });
    }

    [Fact]
    public void A_deleted_middle_event_is_named_by_its_version()
    {
        var rows = Ledger(("a", 5), ("b", 2));
        var result = Verify(rows.Where(r => !(r.Stream == "a" && r.Version == 3)));
        result.Findings.Should().ContainSingle();
        result.FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.EventMissing, Stream = "a", Version = 3L, Sequence = 4L, RelatedVersion = 3L });
    }

    [Fact]
    public void Two_events_whose_bodies_trade_places_are_reported_as_a_swap()
    {
        var rows = Ledger(("a", 6));
        var v2 = rows[1].BodyJson;
        var v5 = rows[4].BodyJson;
        var swapped = Replace(Replace(rows, "a", 2, r => r with { BodyJson = v5 }), "a", 5, r => r with { BodyJson = v2 });
        var result = Verify(swapped);
        result.Findings.Should().ContainSingle();
        result.FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.OrderSwapped, Stream = "a", Version = 2L, Sequence = 2L, RelatedVersion = 5L });
    }

    [Fact]
    public void Two_whole_events_that_trade_versions_are_reported_as_a_swap()
    {
        var rows = Ledger(("a", 4));
        // Renumber rows 2 and 3 (all their columns move, the version column is what changes).
        var swapped = rows.Select(r => r.Version switch { 2 => r with { Version = 3 }, 3 => r with { Version = 2 }, _ => r }).OrderBy(r => r.Version).ToList();
        var result = Verify(swapped);
        result.FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.OrderSwapped, Stream = "a", Version = 2L, RelatedVersion = 3L });
    }

    [Fact]
    public void A_cut_tail_is_invisible_to_the_chains_alone_and_found_against_an_earlier_checkpoint()
    {
        var rows = Ledger(("a", 5), ("b", 3));
        var checkpoint = CheckpointOf(rows);
        var cut = rows.Where(r => !(r.Stream == "a" && r.Version >= 4)).ToList();

        Verify(cut).Ok.Should().BeTrue("deleting the end of a chain leaves a valid, shorter chain");

        var result = Verify(cut, checkpoint);
        result.Ok.Should().BeFalse();
        result.Checkpoint!.Matches.Should().BeFalse();
        result.Findings.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.TailCut, Stream = "a", Version = 4L, RelatedVersion = 5L });
    }

    [Fact]
    public void A_whole_deleted_stream_is_a_tail_cut_from_version_1()
    {
        var rows = Ledger(("a", 2), ("b", 3));
        var result = Verify(rows.Where(r => r.Stream != "b"), CheckpointOf(rows));
        result.FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.TailCut, Stream = "b", Version = 1L, RelatedVersion = 3L });
    }

    [Fact]
    public void A_tail_cut_without_fixing_the_stream_table_shows_even_without_a_checkpoint()
    {
        var rows = Ledger(("a", 5));
        var result = Verify(rows.Where(r => r.Version <= 3), table: new Dictionary<string, long> { ["a"] = 5 });
        result.FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.TailCut, Stream = "a", Version = 4L, RelatedVersion = 5L });
    }

    [Fact]
    public void A_chain_recomputed_after_an_edit_verifies_alone_but_not_against_the_checkpoint()
    {
        var rows = Ledger(("a", 4));
        var checkpoint = CheckpointOf(rows);
        // The attacker edits version 2 and recomputes every hash after it, as anyone can: the hash has no key.
        var forged = new List<LedgerRow>();
        var previous = LedgerHash.Genesis;
        foreach (var r in rows)
        {
            var row = r.Version == 2 ? r with { BodyJson = Encoding.UTF8.GetBytes("""{"name":"forged"}""") } : r;
            row = row with { StoredPreviousHash = previous };
            var hash = LedgerHash.Compute(row.Content(row.Version, previous));
            forged.Add(row with { StoredHash = hash });
            previous = hash;
        }
        Verify(forged).Ok.Should().BeTrue();
        Verify(forged, checkpoint).FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.RewrittenSinceCheckpoint, Stream = "a", Version = 4L });
    }

    [Fact]
    public void An_edited_prev_hash_and_a_missing_hash_are_named()
    {
        var rows = Ledger(("a", 3));
        Verify(Replace(rows, "a", 2, r => r with { StoredPreviousHash = new string('f', 64) }))
            .FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.LinkBroken, Version = 2L });
        Verify(Replace(rows, "a", 3, r => r with { StoredHash = null }))
            .FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.Unhashed, Version = 3L });
    }

    [Fact]
    public void A_self_consistent_forged_event_does_not_link_to_its_predecessor()
    {
        var rows = Ledger(("a", 3));
        // Version 2 replaced by a forged event with a correct hash over a made-up predecessor: version 2 is the broken link.
        var forged = Replace(rows, "a", 2, r =>
        {
            var fake = new string('1', 64);
            var row = r with { BodyJson = Encoding.UTF8.GetBytes("{}"), StoredPreviousHash = fake };
            return row with { StoredHash = LedgerHash.Compute(row.Content(2, fake)) };
        });
        var result = Verify(forged);
        result.FirstBroken.Should().BeEquivalentTo(new { Kind = LedgerFindingKind.LinkBroken, Stream = "a", Version = 2L });
    }

    [Fact]
    public void The_first_broken_link_is_the_earliest_by_global_sequence_and_each_stream_reports_its_first()
    {
        var rows = Ledger(("a", 5), ("b", 5));
        var tampered = Replace(Replace(Replace(rows, "b", 2, r => r with { BodyJson = Encoding.UTF8.GetBytes("{}") }),
            "a", 4, r => r with { BodyJson = Encoding.UTF8.GetBytes("{}") }),
            "a", 5, r => r with { BodyJson = Encoding.UTF8.GetBytes("{}") });
        var result = Verify(tampered);
        result.Findings.Select(f => (f.Stream, f.Version)).Should().Equal(("a", 4L), ("b", 2L));
        result.FirstBroken!.Sequence.Should().Be(4);
    }

    [Fact]
    public void Rows_must_come_grouped_by_stream()
    {
        var rows = Ledger(("a", 2), ("b", 1));
        var verifier = new LedgerVerifier();
        verifier.Add(rows[0]);
        verifier.Add(rows[2]);
        FluentActions.Invoking(() => verifier.Add(rows[1])).Should().Throw<InvalidOperationException>();
    }
}
