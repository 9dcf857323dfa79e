using DthGrains.Contracts.Runs;
using DthGrains.Grains.Runs;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// Holds shards at the gate every worker passes, so that a test knows what is in flight when it kills a silo, revokes
/// a grant or cancels: shards for which <see cref="Holds"/> is true wait until <see cref="Open"/> (or their cancellation).
/// </summary>
public sealed class TestShardGate(Func<ShardWork, bool>? holds = null) : IShardGate
{
    private TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting, _passed, _cancelled;

    public Func<ShardWork, bool> Holds { get; set; } = holds ?? (_ => false);

    public int Waiting => Volatile.Read(ref _waiting);

    public int Passed => Volatile.Read(ref _passed);

    public int Cancelled => Volatile.Read(ref _cancelled);

    public async ValueTask WaitAsync(ShardWork work, CancellationToken ct)
    {
        if (Holds(work))
        {
            Interlocked.Increment(ref _waiting);
            try
            {
                await Volatile.Read(ref _open).Task.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }
        Interlocked.Increment(ref _passed);
    }

    /// <summary>Lets every held shard through, and every later one.</summary>
    public void Open()
    {
        Holds = _ => false;
        Volatile.Read(ref _open).TrySetResult();
    }

    /// <summary>Holds again the shards <paramref name="holds"/> names.</summary>
    public void Close(Func<ShardWork, bool> holds)
    {
        Interlocked.Exchange(ref _open, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Holds = holds;
    }
}
