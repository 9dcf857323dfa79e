using Orleans.Configuration;

namespace DthGrains.Silo.Platform.Postgres;

/// <summary>
/// Orleans membership timings, chosen deliberately rather than left at the defaults, because the defaults
/// let a silo that restarts after the whole cluster was killed (kill -9, power loss) wait minutes: the
/// killed silos' rows stay Active until their liveness times go stale and probes vote them dead.
/// </summary>
/// <remarks>
/// How a silo joins over stale rows (Orleans 10.4.2): it must reach every Active silo in the table before
/// it may become Active. A row whose <c>IAmAliveTime</c> is older than <see cref="StaleAfter"/> counts as
/// stale; the joining silo probes stale rows, and because no live silo remains, one vote after
/// <see cref="MissedProbesLimit"/> failed probes declares each dead. <see cref="RejoinBound"/> adds those
/// steps up in the worst case.
/// </remarks>
public sealed record MembershipTimings
{
    /// <summary>
    /// For silos on one machine or one site (the standalone profile, several local silos, tests):
    /// quick detection, a restart after a total kill is Active within <see cref="RejoinBound"/> = 29 s.
    /// </summary>
    public static MembershipTimings Local { get; } = new()
    {
        IAmAlivePeriod = TimeSpan.FromSeconds(2),
        MissedIAmAliveLimit = 2,
        TableRefreshPeriod = TimeSpan.FromSeconds(2),
        ProbeTimeout = TimeSpan.FromSeconds(2),
        MaxProbeTimeout = TimeSpan.FromSeconds(4),
        MissedProbesLimit = 3,
        MaxJoinAttemptTime = TimeSpan.FromMinutes(2),
        DefunctSiloExpiration = TimeSpan.FromHours(1),
        DefunctSiloCleanupPeriod = TimeSpan.FromMinutes(10),
    };

    /// <summary>
    /// For silos of several institutions over wide-area links: tolerant of latency and pauses, and still
    /// Active within <see cref="RejoinBound"/> = 90 s after a total kill (the Orleans defaults: minutes).
    /// </summary>
    public static MembershipTimings Federated { get; } = new()
    {
        IAmAlivePeriod = TimeSpan.FromSeconds(10),
        MissedIAmAliveLimit = 3,
        TableRefreshPeriod = TimeSpan.FromSeconds(10),
        ProbeTimeout = TimeSpan.FromSeconds(5),
        MaxProbeTimeout = TimeSpan.FromSeconds(10),
        MissedProbesLimit = 3,
        MaxJoinAttemptTime = TimeSpan.FromMinutes(5),
        DefunctSiloExpiration = TimeSpan.FromDays(1),
        DefunctSiloCleanupPeriod = TimeSpan.FromHours(1),
    };

    /// <summary>How often a silo writes its liveness time (<c>IAmAliveTablePublishTimeout</c>).</summary>
    public required TimeSpan IAmAlivePeriod { get; init; }

    /// <summary>Missed liveness writes after which a row counts as stale (<c>NumMissedTableIAmAliveLimit</c>).</summary>
    public required int MissedIAmAliveLimit { get; init; }

    /// <summary>How often the table is re-read and monitored silos re-evaluated (<c>TableRefreshTimeout</c>).</summary>
    public required TimeSpan TableRefreshPeriod { get; init; }

    /// <summary>Nominal probe period and timeout (<c>ProbeTimeout</c>).</summary>
    public required TimeSpan ProbeTimeout { get; init; }

    /// <summary>Upper bound of the adaptive probe timeout (<c>MaxProbeTimeout</c>; Orleans' default is 4 × ProbeTimeout).</summary>
    public required TimeSpan MaxProbeTimeout { get; init; }

    /// <summary>Failed probes before a silo votes another dead (<c>NumMissedProbesLimit</c>).</summary>
    public required int MissedProbesLimit { get; init; }

    /// <summary>How long a silo may try to join before it gives up (<c>MaxJoinAttemptTime</c>).</summary>
    public required TimeSpan MaxJoinAttemptTime { get; init; }

    /// <summary>Age after which Dead rows are deleted (<c>DefunctSiloExpiration</c>).</summary>
    public required TimeSpan DefunctSiloExpiration { get; init; }

    /// <summary>How often Dead rows are cleaned up (<c>DefunctSiloCleanupPeriod</c>).</summary>
    public required TimeSpan DefunctSiloCleanupPeriod { get; init; }

    /// <summary>Age of the last liveness write after which a row is stale.</summary>
    public TimeSpan StaleAfter => IAmAlivePeriod * MissedIAmAliveLimit;

    /// <summary>
    /// Worst case from the start of a silo, after every silo of the cluster was killed, until it is Active:
    /// the killed rows turn stale, the next table refresh starts probes (first one within a probe period),
    /// <see cref="MissedProbesLimit"/> probes fail at the longest timeout, then the connectivity check retries
    /// once (a probe period plus its probe), plus 5 s for start-up and database work.
    /// </summary>
    public TimeSpan RejoinBound =>
        StaleAfter + TableRefreshPeriod + ProbeTimeout + (MaxProbeTimeout * MissedProbesLimit) + (ProbeTimeout * 2) + TimeSpan.FromSeconds(5);

    /// <summary>Copies these timings onto Orleans' options.</summary>
    public void ApplyTo(ClusterMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.IAmAliveTablePublishTimeout = IAmAlivePeriod;
        options.NumMissedTableIAmAliveLimit = MissedIAmAliveLimit;
        options.TableRefreshTimeout = TableRefreshPeriod;
        options.ProbeTimeout = ProbeTimeout;
        options.MaxProbeTimeout = MaxProbeTimeout;
        options.NumMissedProbesLimit = MissedProbesLimit;
        options.MaxJoinAttemptTime = MaxJoinAttemptTime;
        options.DefunctSiloExpiration = DefunctSiloExpiration;
        options.DefunctSiloCleanupPeriod = DefunctSiloCleanupPeriod;
        options.DefunctSiloMinimumRetention = TimeSpan.FromMinutes(1) < DefunctSiloExpiration ? TimeSpan.FromMinutes(1) : DefunctSiloExpiration;
    }
}
