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
    private readonly HashSet<long> _seen = [];
    private readonly Dictionary<long, (DateTimeOffset Since, ulong Xmax)> _gaps = [];

    public TimeSpan MinGapAge { get; } = minGapAge;

    /// <summary>Every sequence up to this one was read or cannot come any more: the next read starts after it.</summary>
    public long Low { get; private set; }

    /// <summary>Sequences below the highest read that have not been seen yet and may still come.</summary>
    public IReadOnlyCollection<long> Gaps => _gaps.Keys;

    /// <summary>True when <paramref name="sequence"/> was read already (a read after a gap sees it again).</summary>
    public bool Seen(long sequence) => sequence <= Low || _seen.Contains(sequence);

    /// <summary>Records a sequence read (and taken into account by the reader).</summary>
    public void Mark(long sequence)
    {
        if (sequence <= Low) return;
        _seen.Add(sequence);
        _gaps.Remove(sequence);
    }

    /// <summary>
    /// After a read of everything above <see cref="Low"/> in one snapshot (<paramref name="xmin"/>, <paramref name="xmax"/>):
    /// notes the new gaps below <paramref name="highest"/> (the highest sequence that read saw), closes the gaps that can no
    /// longer be filled, and moves <see cref="Low"/> up over everything settled.
    /// </summary>
    public void Settle(long highest, ulong xmin, ulong xmax, DateTimeOffset now)
    {
        if (xmin > xmax) throw new ArgumentException($"A snapshot's xmin ({xmin}) is at most its xmax ({xmax}).", nameof(xmin));
        Advance();
        for (var s = Low + 1; s <= highest; s++)
            if (!_seen.Contains(s)) _gaps.TryAdd(s, (now, xmax));
        foreach (var (sequence, (since, firstXmax)) in _gaps.ToArray())
        {
            if (xmin < firstXmax || now - since < MinGapAge) continue;
            _gaps.Remove(sequence);
            _seen.Add(sequence);
        }
        Advance();
    }

    private void Advance()
    {
        while (_seen.Remove(Low + 1)) Low++;
    }
}
