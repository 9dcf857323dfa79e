using System.Text.Json;
using DthGrains.Domain.Catalogue;
using DthGrains.Grains.Platform;
using Marten;
using Npgsql;

namespace DthGrains.Grains.Provenance;

/// <summary>One use of a data subject's data, or one refused attempt, as the ledger recorded it.</summary>
/// <param name="Outcome"><c>read</c> or <c>refused</c>.</param>
public sealed record SubjectAccess(
    DateTimeOffset At,
    string Outcome,
    string Who,
    string? WhoInstitution,
    string Dataset,
    string DatasetVersion,
    string Institution,
    string? Purpose,
    string? GrantId,
    string? Reason,
    string? Action,
    string Stream,
    long StreamVersion,
    long Sequence);

/// <summary>
/// The data-subject access log (EHDS Art. 9): for one pseudonymised subject, every access to and every refused
/// access to their data, with who, when, which data and purpose. Read straight from the ledger's access events,
/// which name the subjects of the data they touched; no separate copy that could drift from the ledger.
/// </summary>
public sealed class SubjectAccessLog(IDocumentStore store)
{
    /// <summary>Event types that carry <c>subjectPseudonyms</c>: reads and refused reads of dataset payloads.</summary>
    private static readonly string[] Types =
    [
        EventTypeRegistry.NameOf(typeof(DataAccessed)),
        EventTypeRegistry.NameOf(typeof(AccessDenied)),
    ];

    /// <summary>At most <paramref name="limit"/> entries after global sequence <paramref name="after"/>, oldest first.</summary>
    public async Task<IReadOnlyList<SubjectAccess>> ForSubjectAsync(string pseudonym, string? dataset, int limit, long after = 0, CancellationToken ct = default)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        var schema = store.Options.Events.DatabaseSchemaName;
        await using var command = new NpgsqlCommand(
            $"select seq_id, stream_id, version, type, data::text from {schema}.mt_events " +
            "where type = any(@types) and seq_id > @after and data -> 'subjectPseudonyms' ? @subject and (@dataset::text is null or data ->> 'datasetId' = @dataset) " +
            "order by seq_id limit @limit", connection);
        command.Parameters.AddWithValue("types", Types);
        command.Parameters.AddWithValue("subject", pseudonym);
        command.Parameters.Add(new NpgsqlParameter<string?>("dataset", dataset));
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("after", after);
        var log = new List<SubjectAccess>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var (sequence, stream, version, type) = (reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3));
            using var body = JsonDocument.Parse(reader.GetString(4));
            var e = body.RootElement;
            var read = type == Types[0];
            log.Add(new SubjectAccess(
                e.GetProperty(read ? "accessedAt" : "deniedAt").GetDateTimeOffset(),
                read ? "read" : "refused",
                Text(e, "actor") ?? "",
                Text(e, "actorInstitution"),
                Text(e, "datasetId") ?? "",
                Text(e, "version") ?? "",
                Text(e, "institution") ?? "",
                Text(e, "purpose"),
                read ? Text(e, "grantId") : null,
                read ? null : Text(e, "reason"),
                Text(e, "action") ?? "read",
                stream, version, sequence));
        }
        return log;
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}
