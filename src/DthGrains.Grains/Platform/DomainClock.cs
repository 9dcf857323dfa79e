namespace DthGrains.Grains.Platform;

/// <summary>
/// The time of the domain: envelopes' recorded-at, decisions, grant validity, expiry. A separate service from the
/// DI-wide <see cref="TimeProvider"/>, which Orleans uses for membership and timers: tests move this clock
/// (to expire a grant) without moving the cluster's.
/// </summary>
public sealed class DomainClock(TimeProvider inner) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();
}
