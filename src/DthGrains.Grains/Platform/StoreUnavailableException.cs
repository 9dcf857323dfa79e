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
}
