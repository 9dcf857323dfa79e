using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Ecosystem;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Provenance;
using DthGrains.Integration.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// The ledger on a fresh database of the shared test PostgreSQL, without a silo: the real EventLog (the one append
/// path), reader, checkpoints and verification, for tests that tamper with the store by raw SQL.
/// </summary>
public sealed class LedgerStore : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _folder;

    private LedgerStore(ServiceProvider services, string connectionString, string folder)
    {
        _services = services;
        ConnectionString = connectionString;
        _folder = folder;
    }

    public string ConnectionString { get; }

    public string KeyPath => Path.Combine(_folder, "ledger-key.pem");

    public EventLog Log => _services.GetRequiredService<EventLog>();

    public LedgerCheckpoints Checkpoints => _services.GetRequiredService<LedgerCheckpoints>();

    public LedgerAudit Audit => _services.GetRequiredService<LedgerAudit>();

    public LedgerReader Reader => _services.GetRequiredService<LedgerReader>();

    public LedgerKey Key => _services.GetRequiredService<LedgerKey>();

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public static readonly CommandContext Context = CommandContext.ForSystem("charite", "ledger-test");

    /// <param name="route">the connection string the event store uses, given the database's (a relay in front of it, say);
    /// <see cref="ConnectionString"/> stays the direct one.</param>
    public static async Task<LedgerStore> CreateAsync(Action<IServiceCollection>? configure = null, Func<string, string>? route = null)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("ledger");
        var folder = TestPostgres.NewTemporaryFolder("ledger");
        var services = new ServiceCollection().AddLogging();
        services.AddDthEventStore(route?.Invoke(connectionString) ?? connectionString);
        services.AddDthLedgerCore(o => o.KeyPath = Path.Combine(folder, "ledger-key.pem"));
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return new LedgerStore(provider, connectionString, folder);
    }

    /// <summary>Writes an organisation's stream of <paramref name="events"/> events (register, then updates), one append each.</summary>
    public async Task<string> WriteOrganisationAsync(string id, int events)
    {
        var stream = $"organisation:{id}";
        var details = new OrganisationDetails($"Org {id}", OrganisationType.Hospital, "DE");
        string? head = null;
        for (var v = 0; v < events; v++)
        {
            object e = v == 0
                ? new OrganisationRegistered(id, details, DateTimeOffset.UtcNow)
                : new OrganisationUpdated(id, details with { Name = $"Org {id} v{v + 1}" }, DateTimeOffset.UtcNow);
            head = (await Log.AppendChainedAsync(stream, v, [e], Context, head)).HeadHash;
        }
        return stream;
    }

    public async Task<int> SqlAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public Task<long> SequenceOf(string stream, long version) =>
        ScalarAsync<long>("select seq_id from dth.mt_events where stream_id = @s and version = @v", ("s", stream), ("v", version));

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        TestPostgres.DeleteFolder(_folder);
    }
}
