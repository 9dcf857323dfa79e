using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Runs;

/// <summary>
/// The shards solved at once on one silo (<see cref="RunOptions.WorkersPerSilo"/>), handed out fairly: when a slot frees,
/// the researchers with shards waiting take turns (round robin), so one researcher's large runs, each with its shards in
/// flight, do not hold every slot of the silo while another's small run waits behind all of them. Within one researcher,
/// first come, first served.
/// </summary>
public sealed class RunWorkerSlots
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<TaskCompletionSource<bool>>> _waiting = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _turns = new();
    private int _free;

    public RunWorkerSlots(IOptions<RunOptions> options) : this(options.Value.WorkersPerSilo)
    {
    }

    public RunWorkerSlots(int slots) => _free = Math.Max(1, slots);

    /// <summary>Slots free now (for tests and diagnostics).</summary>
    public int Free
    {
        get
        {
            lock (_lock) return _free;
        }
    }

    /// <summary>Waits for a slot, in <paramref name="owner"/>'s turn; dispose the answer to give the slot back.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled while waiting (no slot is held).</exception>
    public async ValueTask<IDisposable> EnterAsync(string owner, CancellationToken ct)
    {
        TaskCompletionSource<bool> waiter;
        lock (_lock)
        {
            if (_free > 0 && _turns.Count == 0)
            {
                _free--;
                return new Slot(this);
            }
            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_waiting.TryGetValue(owner, out var queue)) _waiting[owner] = queue = new Queue<TaskCompletionSource<bool>>();
            if (queue.Count == 0) _turns.AddLast(owner);
            queue.Enqueue(waiter);
        }
        // A cancelled waiter stays queued, completed: whoever it is handed to passes the slot on (see Release).
        await using (ct.Register(() => waiter.TrySetCanceled(ct)))
            await waiter.Task.ConfigureAwait(false);
        return new Slot(this);
    }

    private void Release()
    {
        while (true)
        {
            TaskCompletionSource<bool> next;
            lock (_lock)
            {
                if (_turns.First is not { } turn)
                {
                    _free++;
                    return;
                }
                // The researcher whose turn it is takes the slot and goes to the back of the line if more of theirs wait.
                var owner = turn.Value;
                var queue = _waiting[owner];
                next = queue.Dequeue();
                _turns.RemoveFirst();
                if (queue.Count > 0) _turns.AddLast(owner);
                else _waiting.Remove(owner);
            }
            if (next.TrySetResult(true)) return; // handed over; else it was cancelled: the next in line
        }
    }

    private sealed class Slot(RunWorkerSlots slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }
}
