using DthGrains.Contracts.Provenance;

namespace DthGrains.Domain.Provenance;

// Events of the ledger and of the audit trail. Stable names in ProvenanceEventTypes; never rename a member.

/// <summary>
/// A signed checkpoint was taken. Stream <c>ledger:checkpoints</c>, version = <see cref="Number"/>. Carries the heads
/// so that a verification against the small document (root and signature only) can still locate a cut tail.
/// </summary>
public sealed record CheckpointTaken(
    long Number,
    DateTimeOffset TakenAt,
    string Root,
    long Streams,
    long Events,
    long MaxSequence,
    string KeyId,
    string Signature,
    string Format,
    IReadOnlyList<StreamHead> Heads)
{
    public LedgerCheckpoint ToCheckpoint(bool withHeads) =>
        new(Format, Number, TakenAt, Root, Streams, Events, MaxSequence, KeyId, Signature, withHeads ? [.. Heads] : null);

    public static CheckpointTaken From(LedgerCheckpoint c) =>
        new(c.Number, c.TakenAt, c.Root, c.Streams, c.Events, c.MaxSequence, c.KeyId, c.Signature, c.Format, c.Heads is { } h ? [.. h] : []);
}

/// <summary>
/// A request was refused by authorization (403). Stream <c>audit:denials:{yyyy-MM-dd}:{subject digest}</c>; the actor
/// is in the envelope too, this body says what was asked and why it was refused.
/// </summary>
public sealed record RequestDenied(
    string Subject,
    string? Institution,
    IReadOnlyList<string> Roles,
    string Method,
    string Route,
    string Path,
    string Reason,
    DateTimeOffset DeniedAt);

/// <summary>The stable names of the ledger's and the audit trail's events (schemas/ledger/events/).</summary>
public static class ProvenanceEventTypes
{
    public const string CheckpointStream = "ledger:checkpoints";

    public static readonly IReadOnlyDictionary<Type, string> Names = new Dictionary<Type, string>
    {
        [typeof(CheckpointTaken)] = "ledger.checkpoint_taken",
        [typeof(RequestDenied)] = "audit.request_denied",
    };
}
