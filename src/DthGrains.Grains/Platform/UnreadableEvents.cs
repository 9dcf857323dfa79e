using System.Collections.Concurrent;
using System.Text.Json;

namespace DthGrains.Grains.Platform;

/// <summary>A stored event could not be turned back into its type: the stream is unusable until someone repairs it.</summary>
[GenerateSerializer]
public sealed class UnreadableStreamException : Exception
{
    public UnreadableStreamException()
        : base("A stream holds an event that cannot be read.")
    {
    }

    public UnreadableStreamException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public static UnreadableStreamException For(string streamKey, Exception inner) =>
        new($"Stream '{streamKey}' holds an event that cannot be read ({inner.GetType().Name}); nothing was skipped or changed. " +
            "GET /api/audit/verify locates the damaged event.", inner) { StreamKey = streamKey };

    [Id(0)]
    public string? StreamKey { get; init; }
}

/// <summary>
/// Streams found to hold events that cannot be deserialized (RELIABILITY row 8). Nothing skips such an event
/// silently: reads fail loudly with <see cref="UnreadableStreamException"/>, the stream is listed here, and the
/// readiness check turns unhealthy until the process restarts after a repair.
/// </summary>
public sealed class UnreadableEvents
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, string Error)> _streams = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, (DateTimeOffset At, string Error)> Streams => _streams;

    /// <summary>Whether <paramref name="ex"/> means a stored event could not be read back (rather than the store being out of reach).</summary>
    public static bool IsDeserializationFailure(Exception? ex) =>
        ExceptionChain.Of(ex).Any(e => e is Marten.Exceptions.EventDeserializationFailureException or Marten.Exceptions.UnknownEventTypeException
            or JasperFx.Events.EventDeserializationFailureException or JasperFx.Events.UnknownEventTypeException or JsonException);

    public UnreadableStreamException Record(string streamKey, Exception ex)
    {
        _streams[streamKey] = (DateTimeOffset.UtcNow, ex.GetBaseException().Message);
        return UnreadableStreamException.For(streamKey, ex);
    }
}
