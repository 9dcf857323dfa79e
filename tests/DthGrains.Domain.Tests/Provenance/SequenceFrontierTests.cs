using DthGrains.Domain.Provenance;

namespace DthGrains.Domain.Tests.Provenance;

/// <summary>An incremental reader's frontier: a sequence that commits late is still read; one that never comes does not hold the reader forever.</summary>
public sealed class SequenceFrontierTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

    private static SequenceFrontier Read(SequenceFrontier f, params long[] sequences)
    {
        foreach (var s in sequences) f.Mark(s);
        return f;
    }

    [Fact]
    public void Contiguous_reads_move_the_frontier_to_the_highest_sequence()
    {
        var f = Read(new SequenceFrontier(Margin), 1, 2, 3);
        f.Settle(3, xmin: 10, xmax: 10, T0);
        f.Low.Should().Be(3);
        f.Gaps.Should().BeEmpty();
        f.Seen(2).Should().BeTrue();
        f.Seen(4).Should().BeFalse();
    }

    [Fact]
    public void A_gap_holds_the_frontier_below_it_and_a_late_commit_fills_it()
    {
        var f = Read(new SequenceFrontier(Margin), 1, 2, 4, 5);
        f.Settle(5, xmin: 7, xmax: 9, T0);
        f.Low.Should().Be(2, "3 may still be committed by a transaction in flight");
        f.Gaps.Should().Equal(3);
        f.Seen(4).Should().BeTrue("4 was read and is not read again");

        // The next read starts after 2 again: 3 has come, 4 and 5 are skipped as seen.
        f.Seen(3).Should().BeFalse();
        f.Mark(3);
        f.Settle(5, xmin: 9, xmax: 9, T0.AddMilliseconds(10));
        f.Low.Should().Be(5);
        f.Gaps.Should().BeEmpty();
    }

    [Fact]
    public void A_gap_is_given_up_only_when_every_transaction_running_at_first_sight_has_ended_and_the_margin_has_passed()
    {
        var f = Read(new SequenceFrontier(Margin), 1, 3);
        f.Settle(3, xmin: 5, xmax: 8, T0);

        f.Settle(3, xmin: 7, xmax: 9, T0.AddSeconds(10));
        f.Gaps.Should().Equal([2], "transaction 7, running when the gap was seen, may still commit it");

        f.Settle(3, xmin: 8, xmax: 9, T0.AddSeconds(1));
        f.Gaps.Should().Equal([2], "the margin has not passed");

        f.Settle(3, xmin: 8, xmax: 9, T0.AddSeconds(2));
        f.Gaps.Should().BeEmpty();
        f.Low.Should().Be(3);
    }

    [Fact]
    public void A_gap_first_seen_later_waits_for_the_transactions_of_its_own_first_sight()
    {
        var f = Read(new SequenceFrontier(Margin), 1, 3);
        f.Settle(3, xmin: 5, xmax: 6, T0);
        Read(f, 5);
        f.Settle(5, xmin: 6, xmax: 12, T0.AddSeconds(5));
        f.Gaps.Should().Equal([4], "2 is settled (all of its transactions ended), 4 was first seen with transactions up to 11 running");
        f.Low.Should().Be(3);
    }

    [Fact]
    public void A_snapshot_with_xmin_above_xmax_is_refused()
    {
        var f = new SequenceFrontier(Margin);
        f.Invoking(x => x.Settle(0, xmin: 3, xmax: 2, T0)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void A_frontier_restored_from_its_state_goes_on_as_the_one_it_was_taken_from()
    {
        var kept = Read(new SequenceFrontier(Margin), 1, 2, 4, 6, 7);
        kept.Settle(7, xmin: 7, xmax: 9, T0);
        var state = kept.State();
        state.Low.Should().Be(2);
        state.Highest.Should().Be(7);
        state.Gaps.Should().Equal(new SequenceGap(3, T0, 9), new SequenceGap(5, T0, 9));

        var restored = SequenceFrontier.Restore(Margin, state);
        foreach (var s in Enumerable.Range(0, 10)) restored.Seen(s).Should().Be(kept.Seen(s), $"sequence {s} was seen by one exactly when by the other");
        restored.State().Should().BeEquivalentTo(state);

        // Both go on alike: 5 comes late; 3 is given up once its transactions have ended and the margin has passed.
        foreach (var f in new[] { kept, restored })
        {
            Read(f, 5, 8).Settle(8, xmin: 10, xmax: 10, T0 + Margin);
        }
        restored.State().Should().BeEquivalentTo(kept.State());
        restored.Low.Should().Be(8);
        restored.Gaps.Should().BeEmpty();
    }

    [Fact]
    public void A_state_with_gaps_outside_its_bounds_is_refused()
    {
        var act = () => SequenceFrontier.Restore(Margin, new SequenceFrontierState(5, 9, [new SequenceGap(5, T0, 1)]));
        act.Should().Throw<ArgumentException>();
        var backwards = () => SequenceFrontier.Restore(Margin, new SequenceFrontierState(5, 4, []));
        backwards.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void A_gap_that_stays_open_costs_the_gap_only_however_far_the_reads_go_past_it()
    {
        var f = Read(new SequenceFrontier(Margin), 1);
        foreach (var s in Enumerable.Range(3, 99_998)) f.Mark(s);
        f.Settle(100_000, xmin: 5, xmax: 9, T0);
        var state = f.State();
        state.Should().BeEquivalentTo(new SequenceFrontierState(1, 100_000, [new SequenceGap(2, T0, 9)]));

        var restored = SequenceFrontier.Restore(Margin, state);
        restored.Seen(2).Should().BeFalse();
        restored.Seen(50_000).Should().BeTrue();
        restored.Seen(100_001).Should().BeFalse();
        // The transaction that held 2 ends without it: given up after the margin, the frontier jumps to the top.
        restored.Settle(100_000, xmin: 10, xmax: 10, T0 + Margin);
        restored.Low.Should().Be(100_000);
    }
}
