using DthGrains.Contracts.Runs;

namespace DthGrains.Grains.Runs;

/// <summary>How runs are driven on this silo.</summary>
public sealed class RunOptions
{
    /// <summary>Shards of one run handed to workers at once; the rest wait, so a suspension or cancellation stops the run within this many shards.</summary>
    public int MaxShardsInFlight { get; set; } = 8;

    /// <summary>
    /// How far past the first shard not yet recorded a run hands out shards (at least <see cref="MaxShardsInFlight"/>).
    /// Shards recorded past a missing one wait, encoded (about 32 KB each), until it comes: this bounds them.
    /// </summary>
    public int MaxShardsAhead { get; set; } = 64;

    /// <summary>
    /// Runs one researcher may have unfinished (submitted, running or suspended) at once; a submission past it is a 429
    /// naming them (<see cref="Domain.Runs.RunAdmission"/>). 0: no cap.
    /// </summary>
    public int MaxActiveRunsPerResearcher { get; set; } = 8;

    /// <summary>
    /// Bytes of per-subject rows one researcher may keep in the federation's database, counting what their unfinished
    /// runs will still write; a submission that would pass it is a 403 saying how to make room. 0: no quota. 8 GiB: some
    /// 67 million Hovorka subjects' rows.
    /// </summary>
    public long RowsQuotaPerResearcher { get; set; } = 8L << 30;

    /// <summary>Shards solved at once on this silo (about one per core).</summary>
    public int WorkersPerSilo { get; set; } = Environment.ProcessorCount;

    /// <summary>How often a run re-checks its workers (re-dispatching shards lost with a silo) and, while suspended, its grants.</summary>
    public TimeSpan SupervisePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long an ended run's per-subject rows are kept before they are released (deleted, as the system, recorded
    /// as <c>runs.rows_released</c>; see <see cref="RunRowsRetention"/>). Null (the default): kept until their owner or a
    /// platform admin releases them. Every silo applies its own setting, so in a federation the shortest one wins.
    /// </summary>
    public TimeSpan? RowsRetention { get; set; }

    /// <summary>How often a silo looks for runs whose rows have outlived <see cref="RowsRetention"/>.</summary>
    public TimeSpan RowsRetentionCheck { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Period of the reminder that reactivates an unfinished run on a live silo after its silo was lost.</summary>
    public TimeSpan KeepAlivePeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The longest a submission's answer waits for the run's keep-alive reminder to be registered (normally a
    /// millisecond: one write). Past it the run is accepted all the same, and the registration goes on.
    /// </summary>
    public TimeSpan KeepAliveWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a cohort seed's fit at the data may take before the run gives up on it (the fit stops at the data holder)
    /// and waits, suspended, to try again. The largest seed (40 subjects) takes seconds of CPU; this leaves room for a busy
    /// silo. Below the fit's response timeout of 10 minutes.
    /// </summary>
    public TimeSpan SeedFitTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// The longest a run waiting for its seed waits between tries at the data holder once fits keep coming back refused or
    /// undone: the waits double from one supervision period up to this (<see cref="Domain.Runs.SeedRetry"/>), so a holder
    /// whose clock is past the grant's end records a handful of refusals an hour, not one per period.
    /// </summary>
    public TimeSpan SeedRetryMax { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Followers not refreshed for this long are forgotten.</summary>
    public TimeSpan FollowerExpiry { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long the silo solves small cohorts at start so that the first runs find the solvers optimised
    /// (<see cref="Domain.Runs.NumericsWarmUp"/>); zero: no warm-up. The silo profiles set it; test clusters leave it off.
    /// </summary>
    public TimeSpan NumericsWarmUp { get; set; }
}

/// <summary>A point every shard passes before it is solved. Production lets everything through; fault tests hold shards there.</summary>
public interface IShardGate
{
    ValueTask WaitAsync(ShardWork work, CancellationToken ct);
}

public sealed class OpenShardGate : IShardGate
{
    public ValueTask WaitAsync(ShardWork work, CancellationToken ct) => ValueTask.CompletedTask;
}

/// <summary>
/// A point each subject of a cohort seed's fit passes, on the data holder's silo, before it is calibrated (on a
/// calibration thread: it blocks). Production lets everything through; tests hold fits there to stop them.
/// </summary>
public interface ISeedFitGate
{
    /// <exception cref="OperationCanceledException">the fit was given up (its run ended, or its bound passed).</exception>
    void Enter(CancellationToken ct);
}

public sealed class OpenSeedFitGate : ISeedFitGate
{
    public void Enter(CancellationToken ct) => ct.ThrowIfCancellationRequested();
}
