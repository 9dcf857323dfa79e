using System.Globalization;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Provenance;
using DthGrains.Grains.Platform;
using Marten;
using Npgsql;

namespace DthGrains.Grains.Provenance;

/// <summary>One check of a recorded decision context against the ledger itself.</summary>
public sealed record ContextCheck(string What, string Recorded, string Ledger, bool Agrees);

/// <summary>A steward's decision as an auditor sees it: the decision, what the steward saw, and whether the ledger bears that out.</summary>
public sealed record AuditedDecision(
    string Stream,
    long Version,
    long Sequence,
    string Institution,
    bool Approve,
    string Reason,
    string[] Conditions,
    string By,
    DateTimeOffset DecidedAt,
    DecisionContext? Context,
    IReadOnlyList<ContextCheck> Checks);

/// <summary>
/// The decision context of every decision on an access application. The context is read from the decision event
/// (what the grain recorded when the steward decided) and checked against the ledger: the application version
/// must be the one just before the decision, and each dataset's metadata version must be the catalogue stream's
/// version among the events committed before the decision's global sequence.
/// </summary>
public sealed class DecisionContexts(LedgerReader reader, IDocumentStore store)
{
    private static readonly string DecisionType = EventTypeRegistry.NameOf(typeof(DecisionRecorded));

    /// <summary>Null when there is no such access application.</summary>
    public async Task<IReadOnlyList<AuditedDecision>?> ForRequestAsync(string requestId, CancellationToken ct = default)
    {
        var stream = GovernanceEventTypes.StreamOf(requestId);
        // An application's stream is short (a submission, its decisions, a grant's life): it is read whole.
        var rows = new List<(LedgerRow Row, DateTimeOffset StoredAt)>();
        await foreach (var row in reader.ReadStreamAsync(stream, ct: ct)) rows.Add(row);
        if (rows.Count == 0) return null;
        var serializer = store.Options.Serializer();
        // The rows shown as evidence are checked as the ledger's verification checks them: a decision whose body was
        // edited in the database (a refusal turned into an approval) showed every check agreeing.
        var verifier = new LedgerVerifier();
        foreach (var (row, _) in rows) verifier.Add(row);
        var chain = verifier.Complete(DateTimeOffset.UtcNow);
        var chainCheck = chain.FirstBroken is { } broken
            ? new ContextCheck("hash chain of the application's stream", "intact", $"broken at version {broken.Version}: {broken.Detail}", false)
            : new ContextCheck("hash chain of the application's stream", "intact", "intact", true);
        var decisions = new List<AuditedDecision>();
        foreach (var (row, _) in rows.Where(r => r.Row.EventType == DecisionType))
        {
            var d = (DecisionRecorded)serializer.FromJson(typeof(DecisionRecorded), new MemoryStream(row.BodyJson.ToArray()));
            var checks = new List<ContextCheck> { chainCheck };
            if (d.Context is { } context)
            {
                // The decision is the first event of its append: the steward decided on the version just before it.
                checks.Add(new ContextCheck("application version", Number(context.ApplicationVersion), Number(row.Version - 1), context.ApplicationVersion == row.Version - 1));
                var atDecision = await VersionsBeforeAsync(context.Datasets.Select(d => $"resource:{d.Id}").ToArray(), row.Sequence, ct);
                foreach (var seen in context.Datasets)
                {
                    var ledger = atDecision.GetValueOrDefault($"resource:{seen.Id}");
                    checks.Add(new ContextCheck($"metadata version of {seen.Id}", Number(seen.MetadataVersion), Number(ledger), seen.MetadataVersion == ledger));
                }
                checks.Add(new ContextCheck("policy digest", context.Policy.Digest,
                    context.Policy.Version == GovernancePolicy.Version ? GovernancePolicy.Current.Digest : $"(policy {context.Policy.Version} is no longer current)",
                    context.Policy.Version != GovernancePolicy.Version || context.Policy.Digest == GovernancePolicy.Current.Digest));
            }
            decisions.Add(new AuditedDecision(stream, row.Version, row.Sequence, d.Institution, d.Approve, d.Reason, d.Conditions, d.By, d.DecidedAt, d.Context, checks));
        }
        return decisions;
    }

    /// <summary>Each stream's version counting only events committed before global sequence <paramref name="sequence"/> (one query for all).</summary>
    private async Task<Dictionary<string, long>> VersionsBeforeAsync(string[] streams, long sequence, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select stream_id, max(version) from {store.Options.Events.DatabaseSchemaName}.mt_events where stream_id = any(@s) and seq_id < @q group by stream_id", connection);
        command.Parameters.AddWithValue("s", streams);
        command.Parameters.AddWithValue("q", sequence);
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) versions[reader.GetString(0)] = reader.GetInt64(1);
        return versions;
    }

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
