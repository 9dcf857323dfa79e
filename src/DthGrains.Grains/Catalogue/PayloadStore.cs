using System.Text;
using System.Text.Json;
using DthGrains.Fhir.Datasets;
using Npgsql;
using NpgsqlTypes;

namespace DthGrains.Grains.Catalogue;

/// <summary>Reads and writes dataset payloads in one institution's database; a version is written all or nothing.</summary>
public sealed class PayloadStore(PayloadDatabases databases)
{
    public async Task<bool> VersionExistsAsync(string institution, string datasetId, string version, CancellationToken ct = default) =>
        await ChecksumAsync(institution, datasetId, version, ct) is not null;

    /// <summary>The checksum of a stored version (null when none is stored): an upload tells its own retry from another bundle by it.</summary>
    public async Task<string?> ChecksumAsync(string institution, string datasetId, string version, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(institution, ct);
        await using var command = new NpgsqlCommand("select checksum from dataset_versions where dataset_id = @d and version = @v", connection);
        command.Parameters.AddWithValue("d", datasetId);
        command.Parameters.AddWithValue("v", version);
        return await command.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>Stores every resource of a validated bundle in one transaction (binary COPY).</summary>
    public async Task WriteAsync(string institution, string datasetId, string version, DatasetContent content, long bytes, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(institution, ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var insert = new NpgsqlCommand("insert into dataset_versions (dataset_id, version, checksum, counts, subjects, bytes) values (@d, @v, @c, @n::jsonb, @s, @b)", connection, tx))
        {
            insert.Parameters.AddWithValue("d", datasetId);
            insert.Parameters.AddWithValue("v", version);
            insert.Parameters.AddWithValue("c", content.Checksum);
            insert.Parameters.AddWithValue("n", JsonSerializer.Serialize(content.CountsByType));
            insert.Parameters.AddWithValue("s", content.Subjects.Count);
            insert.Parameters.AddWithValue("b", bytes);
            await insert.ExecuteNonQueryAsync(ct);
        }
        await using (var copy = await connection.BeginBinaryImportAsync("copy dataset_resources (dataset_id, version, resource_type, resource_id, subject, body) from stdin (format binary)", ct))
        {
            foreach (var r in content.Resources)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(datasetId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(version, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.ResourceType, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.Id, NpgsqlDbType.Text, ct);
                if (r.SubjectPseudonym is null) await copy.WriteNullAsync(ct);
                else await copy.WriteAsync(r.SubjectPseudonym, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.Json, NpgsqlDbType.Jsonb, ct);
            }
            await copy.CompleteAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>Removes a version the catalogue does not list (its record could not be written: compensation; nothing points at it).</summary>
    public async Task DeleteAsync(string institution, string datasetId, string version, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(institution, ct);
        await using var command = new NpgsqlCommand(
            "delete from dataset_resources where dataset_id = @d and version = @v; delete from dataset_versions where dataset_id = @d and version = @v", connection);
        command.Parameters.AddWithValue("d", datasetId);
        command.Parameters.AddWithValue("v", version);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The pseudonyms of the subjects whose data a version holds (sorted), or null when the version is not stored
    /// here: what the data-subject access log records for a read or a refused read of that version.
    /// </summary>
    public async Task<string[]?> SubjectsAsync(string institution, string datasetId, string version, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(institution, ct);
        return await SubjectsAsync(connection, datasetId, version, ct);
    }

    private static async Task<string[]?> SubjectsAsync(NpgsqlConnection connection, string datasetId, string version, CancellationToken ct)
    {
        await using var head = new NpgsqlCommand("select 1 from dataset_versions where dataset_id = @d and version = @v", connection);
        head.Parameters.AddWithValue("d", datasetId);
        head.Parameters.AddWithValue("v", version);
        if (await head.ExecuteScalarAsync(ct) is null) return null;
        await using var command = new NpgsqlCommand(
            "select distinct subject from dataset_resources where dataset_id = @d and version = @v and subject is not null order by subject", connection);
        command.Parameters.AddWithValue("d", datasetId);
        command.Parameters.AddWithValue("v", version);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var subjects = new List<string>();
        while (await reader.ReadAsync(ct)) subjects.Add(reader.GetString(0));
        return [.. subjects];
    }

    /// <summary>A version's payload as a FHIR R4 collection Bundle (JSON) with its subjects' pseudonyms, or null when the version is not stored here.</summary>
    public async Task<(string Bundle, string[] Subjects)?> ReadAsync(string institution, string datasetId, string version, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(institution, ct);
        if (await SubjectsAsync(connection, datasetId, version, ct) is not { } subjects) return null;

        await using var command = new NpgsqlCommand(
            "select body::text from dataset_resources where dataset_id = @d and version = @v order by resource_type, resource_id", connection);
        command.Parameters.AddWithValue("d", datasetId);
        command.Parameters.AddWithValue("v", version);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var json = new StringBuilder("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[");
        var first = true;
        while (await reader.ReadAsync(ct))
        {
            if (!first) json.Append(',');
            first = false;
            // No fullUrl: a relative one is not allowed there, and references inside resolve by type and id.
            json.Append("{\"resource\":").Append(reader.GetString(0)).Append('}');
        }
        return (json.Append("]}").ToString(), subjects);
    }

    /// <summary>
    /// One subject's resources of a version, Patient excluded (identity never leaves the owner's grain); null when the
    /// version is not stored here, empty when the subject has no data in it.
    /// </summary>
    public async Task<List<(string Type, string Id, string Json)>?> ReadSubjectAsync(string institution, string datasetId, string version, string subject, CancellationToken ct = default)
    {
        if (!await VersionExistsAsync(institution, datasetId, version, ct)) return null;
        return (await ReadSubjectsAsync(institution, datasetId, version, [subject], ct)).GetValueOrDefault(subject) ?? [];
    }

    /// <summary>The resources of several subjects of a version, Patient excluded, by subject (a subject without data is absent).</summary>
    public async Task<Dictionary<string, List<(string Type, string Id, string Json)>>> ReadSubjectsAsync(string institution, string datasetId, string version,
        IReadOnlyCollection<string> subjects, CancellationToken ct = default)
    {
        var bySubject = new Dictionary<string, List<(string, string, string)>>(StringComparer.Ordinal);
        if (subjects.Count == 0) return bySubject;
        await using var connection = await OpenAsync(institution, ct);
        await using var command = new NpgsqlCommand(
            "select subject, resource_type, resource_id, body::text from dataset_resources where dataset_id = @d and version = @v and subject = any(@s) and resource_type <> 'Patient' order by subject, resource_type, resource_id", connection);
        command.Parameters.AddWithValue("d", datasetId);
        command.Parameters.AddWithValue("v", version);
        command.Parameters.AddWithValue("s", subjects.ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var subject = reader.GetString(0);
            if (!bySubject.TryGetValue(subject, out var rows)) bySubject[subject] = rows = [];
            rows.Add((reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }
        return bySubject;
    }

    private async Task<NpgsqlConnection> OpenAsync(string institution, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(await databases.ConnectionStringFor(institution, ct));
        await connection.OpenAsync(ct);
        return connection;
    }
}
