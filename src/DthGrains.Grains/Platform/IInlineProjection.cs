using DthGrains.Contracts.Platform;
using Marten;

namespace DthGrains.Grains.Platform;

/// <summary>
/// A read model updated in the same session, hence the same transaction, as the events it projects:
/// a committed event always has its read model, and a failed append leaves both untouched.
/// </summary>
public interface IInlineProjection
{
    /// <summary>Stages document changes for <paramref name="events"/> (in stream order) into <paramref name="session"/>.</summary>
    Task ProjectAsync(IDocumentSession session, IReadOnlyList<PendingEvent> events, CancellationToken ct);
}

/// <summary>An event about to be appended, with the version it will get and its envelope.</summary>
public sealed record PendingEvent(string StreamKey, long Version, object Data, EventEnvelope Envelope);

/// <summary>
/// Told about every append after its commit, so that work which must see the committed state (for example marking
/// twins stale after a model release or a grant revocation) can start without polling. Called on the committer's
/// thread: hand the work off (a channel) and return at once; an observer never fails an append.
/// </summary>
public interface IAppendObserver
{
    void Committed(string streamKey, IReadOnlyList<object> events);
}
