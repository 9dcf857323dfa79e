using System.Collections.Concurrent;
using System.Threading.Channels;
using DthGrains.Contracts.Runs;
using DthGrains.Grains.Runs;

namespace DthGrains.Silo.Runs;

/// <summary>The <c>Dth:RunStreams</c> section: limits of the live run streams (SSE).</summary>
public sealed class RunStreamOptions
{
    public const string Section = "Dth:RunStreams";

    /// <summary>Concurrent streams per client (token subject); one more answers 429.</summary>
    public int MaxStreamsPerClient { get; set; } = 4;

    /// <summary>Durable events buffered per follower; a follower that falls this far behind is dropped (it resumes with Last-Event-ID).</summary>
    public int BufferCapacity { get; set; } = 256;

    /// <summary>Progress updates are coalesced to at most one per interval per follower (10 a second).</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often a stream refreshes its subscription (and so finds a run that moved to another silo).</summary>
    public TimeSpan Resubscribe { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A comment line keeps idle connections open through proxies.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Counts open run streams per client (the cap) and keeps a few numbers that show memory stays bounded.</summary>
public sealed class RunFollowers
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);
    private long _dropped;
    private int _highWater;

    public bool TryEnter(string client, int max)
    {
        while (true)
        {
            var current = _open.GetOrAdd(client, 0);
            if (current >= max)
            {
                RunMetrics.StreamsRefused.Add(1);
                return false;
            }
            if (_open.TryUpdate(client, current + 1, current))
            {
                RunMetrics.Streams.Add(1);
                return true;
            }
        }
    }

    /// <summary>A stream <see cref="TryEnter"/> let in has ended (called once for each).</summary>
    public void Exit(string client)
    {
        _open.AddOrUpdate(client, 0, (_, n) => Math.Max(0, n - 1));
        RunMetrics.Streams.Add(-1);
    }

    public int OpenFor(string client) => _open.GetValueOrDefault(client);

    /// <summary>Followers dropped because they fell a whole buffer behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The most durable events any follower ever had waiting (never above the buffer capacity).</summary>
    public int BufferHighWater => Volatile.Read(ref _highWater);

    internal void RecordDropped()
    {
        Interlocked.Increment(ref _dropped);
        RunMetrics.FollowersDropped.Add(1);
    }

    internal void RecordBuffered(int count)
    {
        int seen;
        while (count > (seen = Volatile.Read(ref _highWater)) && Interlocked.CompareExchange(ref _highWater, count, seen) != seen) { }
    }
}

/// <summary>
/// One SSE follower, as the run grain sees it (a grain observer): durable events go to a bounded buffer (overflow drops
/// the follower, who resumes with Last-Event-ID and loses nothing), progress keeps only its latest value.
/// </summary>
public sealed class RunFollower : IRunObserver
{
    private readonly Channel<RunStreamEvent> _events;
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Action _onOverflow;
    private readonly RunFollowers? _stats;
    private RunProgress? _progress;
    private int _overflowed;
    private int _closed;

    public RunFollower(int capacity, Action onOverflow, RunFollowers? stats = null)
    {
        _events = Channel.CreateBounded<RunStreamEvent>(new BoundedChannelOptions(Math.Max(1, capacity)) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _onOverflow = onOverflow;
        _stats = stats;
    }

    public bool Overflowed => Volatile.Read(ref _overflowed) == 1;

    public int Buffered => _events.Reader.Count;

    /// <summary>
    /// Its stream has ended: what the run grain sent before it took the unfollow, and Orleans delivers afterwards, is
    /// taken and dropped (no buffering, no abort of a response that is over).
    /// </summary>
    public void Close() => Volatile.Write(ref _closed, 1);

    public bool Closed => Volatile.Read(ref _closed) == 1;

    public Task OnEventAsync(RunStreamEvent e)
    {
        if (Overflowed || Closed) return Task.CompletedTask;
        if (!_events.Writer.TryWrite(e))
        {
            if (Interlocked.Exchange(ref _overflowed, 1) == 0)
            {
                _stats?.RecordDropped();
                _onOverflow();
            }
        }
        else _stats?.RecordBuffered(_events.Reader.Count);
        _signal.Writer.TryWrite(true);
        return Task.CompletedTask;
    }

    public Task OnProgressAsync(RunProgress progress)
    {
        if (Closed) return Task.CompletedTask;
        Interlocked.Exchange(ref _progress, progress);
        _signal.Writer.TryWrite(true);
        return Task.CompletedTask;
    }

    public bool TryReadEvent(out RunStreamEvent e) => _events.Reader.TryRead(out e!);

    public RunProgress? PeekProgress() => Volatile.Read(ref _progress);

    public RunProgress? TakeProgress() => Interlocked.Exchange(ref _progress, null);

    /// <summary>Waits for something new, at most <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_events.Reader.Count > 0 || Overflowed) return;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _signal.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }
}
