namespace DthGrains.Contracts.Platform;

/// <summary>
/// Travels with every command so that the one append path can write the event envelope:
/// actor, correlation and causation ids, the trace id, an optional purpose and idempotency key.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.command-context")]
public sealed record CommandContext(
    [property: Id(0)] Actor Actor,
    [property: Id(1)] string CorrelationId,
    [property: Id(2)] string? CausationId = null,
    [property: Id(3)] string? TraceId = null,
    [property: Id(4)] string? Purpose = null,
    [property: Id(5)] string? IdempotencyKey = null,
    [property: Id(6)] long? ExpectedVersion = null)
{
    public static CommandContext ForSystem(string? institution = null, string? correlationId = null) =>
        new(Actor.System(institution), correlationId ?? Guid.NewGuid().ToString("N"));
}
