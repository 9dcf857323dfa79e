namespace DthGrains.Grains.Platform;

/// <summary>
/// The event store's connection broke under an append (PostgreSQL restarting, a network cut): transient, nobody's
/// mistake, and retryable. The HTTP layer answers it with 503 and Retry-After.
/// </summary>
[GenerateSerializer]
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
        : base("The event store is out of reach; the append was not committed.")
    {
    }

    public StoreUnavailableException(Exception inner)
        : base("The event store connection broke during the append; it was not committed.", inner)
    {
    }

    public StoreUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>
    /// The connection broke after the COMMIT was sent and the store could not be read back to learn whether it
    /// committed: a retry with the same Idempotency-Key answers the first outcome, a retry without one may meet the
    /// caller's own change as a conflict.
    /// </summary>
    public static StoreUnavailableException OutcomeUnknown(Exception inner) =>
        new("The event store connection broke while the append was committed, and whether it was is not known yet; " +
            "read the resource again, or repeat the request with the same Idempotency-Key.", inner);
}
