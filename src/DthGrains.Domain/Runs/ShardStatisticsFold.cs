using DthGrains.Simulation.Cohorts;

namespace DthGrains.Domain.Runs;

/// <summary>
/// A run's shard statistics merged in shard order as the shards are recorded, whatever order they come in: shards
/// 0..k-1 live merged in one accumulator, and only shards recorded ahead of a missing one wait, encoded. Shards are
/// handed out in index order, a few at a time, so a run holds about one shard's statistics plus those of the shards in
/// flight, not every shard's (32 KB each, 16 MB for a million subjects); only a shard missing for long (lost with its
/// silo and run again) lets more wait. Its completion merges what is left rather than everything. The merge is the
/// same sequence of operations as <see cref="ShardPartial.Merge"/> over all shards in order, so the results are the
/// same bits.
/// <para>
/// The run's state keeps each shard's counts and digests, not its statistics (<see cref="RunState"/>): whoever decides
/// a completion keeps this fold beside the state and records every recorded <see cref="ShardCompleted"/> in it, once.
/// Recording a shard again, or one older than the merged prefix, changes nothing.
/// </para>
/// </summary>
public sealed class ShardStatisticsFold(int cells)
{
    private readonly SortedDictionary<int, ShardStatistics> _waiting = [];
    private ShardAccumulator? _prefix;
    private int _next;
    // A shard without statistics: the run has no summary (as RunDecisions.Complete has always decided).
    private bool _incomplete;
    // Statistics this engine cannot merge (another format, or undecodable): completing the run fails, as merging them did.
    private string? _unmergeable;
    // The whole run's statistics, once its completion merged them (MergedWith).
    private ShardPartial? _whole;

    /// <summary>Shards merged so far: 0 to this, exclusive.</summary>
    public int Merged => _next;

    /// <summary>Shards recorded ahead of the merged prefix, waiting for the ones before them.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>Records a recorded shard's statistics.</summary>
    /// <param name="decoded">the shard's statistics decoded already (it must equal <see cref="ShardStatistics.ToPartial"/>), to spare decoding twice.</param>
    public void Record(ShardCompleted shard, ShardPartial? decoded = null)
    {
        if (shard.Shard < _next || _waiting.ContainsKey(shard.Shard) || _incomplete || _unmergeable is not null || _whole is not null) return;
        if (shard.Statistics is not { } statistics)
        {
            _incomplete = true;
            Release();
            return;
        }
        if (shard.Shard != _next)
        {
            _waiting[shard.Shard] = statistics;
            return;
        }
        if (!TryMerge(shard.Shard, statistics, decoded)) return;
        while (_waiting.Remove(_next, out var next) && TryMerge(_next, next, null))
        {
        }
    }

    /// <summary>
    /// The statistics of the whole run, for its completion: the merged prefix, the waiting shards and
    /// <paramref name="unrecorded"/> (the shards recorded with the completion), merged in shard order. Asked only once
    /// every shard of the run is recorded or among <paramref name="unrecorded"/>; the merge goes into the prefix itself
    /// (no copy of ~400 sketches) and is remembered, so asking again, after an append that failed, say, gives the same
    /// bits, and shards recorded afterwards change nothing. Null when a shard has no statistics.
    /// </summary>
    /// <exception cref="UnmergeableStatisticsException">a shard's statistics cannot be merged by this engine.</exception>
    /// <exception cref="InvalidOperationException">a shard is missing (asked too early).</exception>
    public ShardPartial? MergedWith(IEnumerable<ShardCompleted> unrecorded)
    {
        if (_unmergeable is not null) throw new UnmergeableStatisticsException(_unmergeable!);
        if (_whole is not null) return _whole;
        var rest = new SortedDictionary<int, ShardStatistics>(_waiting);
        foreach (var shard in unrecorded.Where(s => s.Shard >= _next))
        {
            if (shard.Statistics is not { } statistics) return null;
            rest.TryAdd(shard.Shard, statistics);
        }
        if (_incomplete) return null;
        // Checked before anything is merged, so a refused completion leaves the fold as it was.
        var expected = _next;
        foreach (var shard in rest.Keys)
            if (shard != expected++) throw new InvalidOperationException($"Shard {expected - 1} is missing: the run's statistics are not complete.");
        foreach (var (shard, statistics) in rest)
            if (!TryMerge(shard, statistics, null)) throw new UnmergeableStatisticsException(_unmergeable!);
        _waiting.Clear();
        return _whole = _prefix?.ToPartial();
    }

    private bool TryMerge(int shard, ShardStatistics statistics, ShardPartial? decoded)
    {
        try
        {
            var partial = decoded ?? statistics.ToPartial(cells);
            _prefix ??= new ShardAccumulator(cells, partial.RelativeAccuracy);
            _prefix.Merge(partial);
            _next = shard + 1;
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or IndexOutOfRangeException)
        {
            // Recorded shards are replayed on every activation: never throw here, fail the completion instead.
            _unmergeable = $"The statistics of shard {shard} cannot be merged: {ex.Message}";
            Release();
            return false;
        }
    }

    private void Release()
    {
        _prefix = null;
        _waiting.Clear();
    }
}

/// <summary>A shard's statistics this engine cannot merge (another format, undecodable): they never will be, so its run fails.</summary>
public sealed class UnmergeableStatisticsException(string message) : InvalidOperationException(message);
