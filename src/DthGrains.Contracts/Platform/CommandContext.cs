namespace DthGrains.Contracts.Platform;

/// <summary>
/// Travels with every command so that the one append path can write the event envelope:
/// actor, correlation and causation ids, the trace id, an optional purpose and idempotency key.
/// The idempotency fingerprint identifies the request that carried the key (its method, path and body), so that a key
/// reused for a different request is refused instead of answered with the first request's result.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.command-context")]
public sealed record CommandContext(
    [property: Id(0)] Actor Actor,
    [property: Id(1)] string CorrelationId,
    [property: Id(2)] string? CausationId = null,
    [property: Id(3)] string? TraceId = null,
    [property: Id(4)] string? Purpose = null,
    [property: Id(5)] string? IdempotencyKey = null,
    [property: Id(6)] long? ExpectedVersion = null,
    [property: Id(7)] string? IdempotencyFingerprint = null)
{
    public static CommandContext ForSystem(string? institution = null, string? correlationId = null) =>
        new(Actor.System(institution), correlationId ?? Guid.NewGuid().ToString("N"));
}
