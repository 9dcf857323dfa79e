namespace DthGrains.Domain.Provenance;

/// <summary>
/// How far an incremental reader of the event store has read, by global sequence, without losing a late commit.
/// Sequences are taken before transactions commit, so a reader can see 101 while 100 is still in flight (and commits
/// a moment later) or was taken by a transaction that failed (and never comes). A sequence missing below one seen is a
/// gap: it is asked for again on every read until it is seen, or until it cannot come any more. That is known when
/// every transaction that was running when the gap was first seen has ended (a later snapshot's <c>xmin</c> has passed
/// the first snapshot's <c>xmax</c>) and the gap has been open for <see cref="MinGapAge"/> (a margin for the moment
/// between taking a sequence and taking a transaction id). Pure: the reader brings the snapshot and the clock.
/// </summary>
public sealed class SequenceFrontier(TimeSpan minGapAge)
{
    // Everything up to Highest was seen but the gaps; what was read above Highest since the last settle is pending.
    // So a frontier takes memory for its gaps only, however far a gap that stays open holds Low behind Highest.
    private readonly Dictionary<long, (DateTimeOffset Since, ulong Xmax)> _gaps = [];
    private readonly HashSet<long> _pending = [];

    public TimeSpan MinGapAge { get; } = minGapAge;

    /// <summary>Every sequence up to this one was read or cannot come any more: the next read starts after it.</summary>
    public long Low { get; private set; }

    /// <summary>Sequences below the highest read that have not been seen yet and may still come.</summary>
    public IReadOnlyCollection<long> Gaps => _gaps.Keys;

    /// <summary>The highest sequence settled: the next read asks for what is above it, and for the gaps.</summary>
    public long Highest { get; private set; }

    /// <summary>
    /// What a reader keeps between reads, after <see cref="Settle"/> (when every sequence up to <see cref="Highest"/>
    /// was seen or is a gap): small, whatever was read.
    /// </summary>
    public SequenceFrontierState State() =>
        new(Low, Highest, [.. _gaps.OrderBy(g => g.Key).Select(g => new SequenceGap(g.Key, g.Value.Since, g.Value.Xmax))]);

    /// <summary>A frontier as <see cref="State"/> left it.</summary>
    public static SequenceFrontier Restore(TimeSpan minGapAge, SequenceFrontierState state)
    {
        if (state.Highest < state.Low || state.Gaps.Any(g => g.Sequence <= state.Low || g.Sequence > state.Highest))
            throw new ArgumentException($"Gaps lie between the low ({state.Low}) and the highest ({state.Highest}) sequence.", nameof(state));
        var frontier = new SequenceFrontier(minGapAge) { Low = state.Low, Highest = state.Highest };
        foreach (var gap in state.Gaps) frontier._gaps[gap.Sequence] = (gap.Since, gap.Xmax);
        return frontier;
    }

    /// <summary>True when <paramref name="sequence"/> was read already (a read after a gap sees it again).</summary>
    public bool Seen(long sequence) =>
        sequence <= Low || (sequence <= Highest ? !_gaps.ContainsKey(sequence) : _pending.Contains(sequence));

    /// <summary>Records a sequence read (and taken into account by the reader).</summary>
    public void Mark(long sequence)
    {
        if (sequence <= Low) return;
        if (sequence <= Highest) _gaps.Remove(sequence);
        else _pending.Add(sequence);
    }

    /// <summary>
    /// After a read of everything above <see cref="Low"/> in one snapshot (<paramref name="xmin"/>, <paramref name="xmax"/>):
    /// notes the new gaps below <paramref name="highest"/> (the highest sequence that read saw), closes the gaps that can no
    /// longer be filled, and moves <see cref="Low"/> up over everything settled.
    /// </summary>
    public void Settle(long highest, ulong xmin, ulong xmax, DateTimeOffset now)
    {
        if (xmin > xmax) throw new ArgumentException($"A snapshot's xmin ({xmin}) is at most its xmax ({xmax}).", nameof(xmin));
        var top = Math.Max(Highest, Math.Max(highest, _pending.Count == 0 ? 0 : _pending.Max()));
        for (var s = Highest + 1; s <= top; s++)
            if (!_pending.Remove(s)) _gaps.TryAdd(s, (now, xmax));
        Highest = top;
        foreach (var (sequence, (since, firstXmax)) in _gaps.ToArray())
        {
            if (xmin < firstXmax || now - since < MinGapAge) continue;
            _gaps.Remove(sequence);
        }
        Low = _gaps.Count == 0 ? Highest : _gaps.Keys.Min() - 1;
    }
}

/// <summary>A <see cref="SequenceFrontier"/> between reads: everything above <c>Low</c> up to <c>Highest</c> was read, but the gaps.</summary>
public sealed record SequenceFrontierState(long Low, long Highest, IReadOnlyList<SequenceGap> Gaps);

/// <summary>A sequence not seen yet, since when, and the snapshot's <c>xmax</c> when it was first missed.</summary>
public sealed record SequenceGap(long Sequence, DateTimeOffset Since, ulong Xmax);
