using DthGrains.Contracts.Platform;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace DthGrains.Grains.Platform;

/// <summary>Reading streams back: whole, up to a version or a moment, without some bodies, or at chosen versions.</summary>
public sealed partial class EventLog
{
    /// <summary>Reads a stream from the start, up to a version and/or a moment (inclusive); empty when it does not exist.</summary>
    public async Task<IReadOnlyList<IEvent>> ReadAsync(string streamKey, long toVersion = 0, DateTimeOffset? asOf = null, CancellationToken ct = default)
    {
        await using var session = _store.QuerySession();
        try
        {
            return await session.Events.FetchStreamAsync(streamKey, toVersion, asOf, token: ct);
        }
        catch (Exception ex) when (UnreadableEvents.IsDeserializationFailure(ex))
        {
            throw _unreadable.Record(streamKey, ex);
        }
    }

    /// <summary>
    /// Reads a stream's event bodies without the named top-level fields of the named event types, which PostgreSQL drops
    /// before sending: for readers that need only an event's small fields, such as a run's followers catching up on shard
    /// events whose statistics and subject rows are nearly all of their bytes. The omitted fields deserialise as their
    /// defaults (null), so these events are for describing, never for folding results or checking hashes.
    /// </summary>
    /// <param name="omitted">per stored event type name, the fields its body is read without</param>
    public async Task<IReadOnlyList<(long Version, object Data)>> ReadWithoutAsync(string streamKey, IReadOnlyDictionary<string, string[]> omitted, CancellationToken ct = default)
    {
        await using var connection = _store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "select version, type, (data - coalesce(array(select jsonb_array_elements_text(@omitted::jsonb -> type)), '{}'::text[]))::text " +
            $"from {Schema}.mt_events where stream_id = @stream order by version";
        command.Parameters.AddWithValue("stream", streamKey);
        command.Parameters.AddWithValue("omitted", System.Text.Json.JsonSerializer.Serialize(omitted));
        return await ReadBodiesAsync(command, streamKey, ct);
    }

    /// <summary>
    /// Reads the events at the given versions of a stream, whole, in the order given (a version not in the stream is left
    /// out): for readers that take a large stream's events a few at a time, such as a run's results in shard order.
    /// </summary>
    public async Task<IReadOnlyList<(long Version, object Data)>> ReadVersionsAsync(string streamKey, IReadOnlyList<long> versions, CancellationToken ct = default)
    {
        await using var connection = _store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"select version, type, data::text from {Schema}.mt_events where stream_id = @stream and version = any(@versions)";
        command.Parameters.AddWithValue("stream", streamKey);
        command.Parameters.AddWithValue("versions", versions.ToArray());
        var found = (await ReadBodiesAsync(command, streamKey, ct)).ToDictionary(e => e.Version);
        return [.. versions.Where(found.ContainsKey).Select(v => found[v])];
    }

    /// <summary>Deserialises (version, type name, JSON body) rows.</summary>
    private async Task<IReadOnlyList<(long Version, object Data)>> ReadBodiesAsync(NpgsqlCommand command, string streamKey, CancellationToken ct)
    {
        var events = new List<(long, object)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var name = reader.GetString(1);
            var type = EventTypeRegistry.TypeOf(name) ?? throw _unreadable.Record(streamKey, new InvalidOperationException($"Event type '{name}' is not known to this version."));
            try
            {
                using var body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(reader.GetString(2)));
                events.Add((reader.GetInt64(0), _serializer.FromJson(type, body)));
            }
            catch (Exception ex) when (UnreadableEvents.IsDeserializationFailure(ex))
            {
                throw _unreadable.Record(streamKey, ex);
            }
        }
        return events;
    }

    /// <summary>Reads a stream as wire records: type name, JSON body and envelope per event.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadStoredAsync(string streamKey, long toVersion = 0, DateTimeOffset? asOf = null, CancellationToken ct = default)
    {
        var events = await ReadAsync(streamKey, toVersion, asOf, ct);
        return events.Select(e => new StoredEvent(streamKey, e.Version, e.Sequence, e.EventTypeName, _serializer.ToJson(e.Data), EnvelopeHeaders.Read(e))).ToArray();
    }
}
