using System.Collections.Immutable;

namespace DthGrains.Contracts.Provenance;

/// <summary>The last event of one stream at a moment: the leaf of a checkpoint's Merkle tree.</summary>
[GenerateSerializer, Immutable, Alias("dth.provenance.stream-head")]
public sealed record StreamHead(
    [property: Id(0)] string Stream,
    [property: Id(1)] long Version,
    [property: Id(2)] string Hash);

/// <summary>
/// A signed checkpoint of the ledger (schemas/ledger/CHECKPOINTS.md): the Merkle root over every stream head
/// at one moment, with the counts, signed with the ledger key. The small document an auditor keeps outside
/// the system; <see cref="Heads"/> is optional (the root already commits to them).
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.provenance.checkpoint")]
public sealed record LedgerCheckpoint(
    [property: Id(0)] string Format,
    [property: Id(1)] long Number,
    [property: Id(2)] DateTimeOffset TakenAt,
    [property: Id(3)] string Root,
    [property: Id(4)] long Streams,
    [property: Id(5)] long Events,
    [property: Id(6)] long MaxSequence,
    [property: Id(7)] string KeyId,
    [property: Id(8)] string Signature,
    [property: Id(9)] ImmutableArray<StreamHead>? Heads = null)
{
    /// <summary>The value of <see cref="Format"/> for this version of the document.</summary>
    public const string CurrentFormat = "dthgrains.ledger.checkpoint/1";

    /// <summary>The same checkpoint without its heads (the small document).</summary>
    public LedgerCheckpoint Compact() => this with { Heads = null };
}
