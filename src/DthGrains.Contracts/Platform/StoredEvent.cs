namespace DthGrains.Contracts.Platform;

/// <summary>The envelope written with every event (ARCHITECTURE.md, "Events and the ledger").</summary>
[GenerateSerializer, Immutable, Alias("dth.envelope")]
public sealed record EventEnvelope(
    [property: Id(0)] string ActorSubject,
    [property: Id(1)] string ActorName,
    [property: Id(2)] string? ActorInstitution,
    [property: Id(3)] string[] ActorRoles,
    [property: Id(4)] string CorrelationId,
    [property: Id(5)] string? CausationId,
    [property: Id(6)] string? TraceId,
    [property: Id(7)] string? Purpose,
    [property: Id(8)] DateTimeOffset RecordedAt,
    [property: Id(9)] string? IdempotencyKey,
    [property: Id(10)] string? IdempotencyFingerprint = null);

/// <summary>One event as read back from a stream: its place, its stable type name, its body as JSON and its envelope.</summary>
[GenerateSerializer, Immutable, Alias("dth.stored-event")]
public sealed record StoredEvent(
    [property: Id(0)] string StreamKey,
    [property: Id(1)] long Version,
    [property: Id(2)] long Sequence,
    [property: Id(3)] string EventType,
    [property: Id(4)] string BodyJson,
    [property: Id(5)] EventEnvelope Envelope);
