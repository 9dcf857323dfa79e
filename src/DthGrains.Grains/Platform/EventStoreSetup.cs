using DthGrains.Grains.Catalogue;
using DthGrains.Grains.Ecosystem;
using JasperFx;
using JasperFx.Events;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Weasel.Core;

namespace DthGrains.Grains.Platform;

/// <summary>Marten as the event store and read-model store of every capability.</summary>
public static class EventStoreSetup
{
    /// <summary>The PostgreSQL schema of Marten's tables (events, streams, read models).</summary>
    public const string SchemaName = "dth";

    /// <param name="autoCreate">
    /// <see cref="AutoCreate.CreateOrUpdate"/> in development and tests; production sets <see cref="AutoCreate.None"/>
    /// and applies the schema once per release (README, "Database schemas").
    /// </param>
    public static IServiceCollection AddDthEventStore(this IServiceCollection services, string connectionString, AutoCreate autoCreate = AutoCreate.CreateOrUpdate)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new DomainClock(TimeProvider.System));
        services.AddMarten(options => Configure(options, connectionString, autoCreate))
            .UseLightweightSessions()
            .ApplyAllDatabaseChangesOnStartup();
        if (autoCreate != AutoCreate.None)
        {
            services.AddHostedService<EventStorageTuning>();
            services.AddHostedService<CatalogueSearchIndex>();
        }
        services.AddSingleton<UnreadableEvents>();
        services.AddSingleton<EventLog>();
        services.AddSingleton<IInlineProjection, EcosystemGraphProjection>();
        services.AddSingleton<IInlineProjection, CatalogueProjection>();
        services.AddSingleton<IInlineProjection, Governance.GovernanceProjection>();
        // With every event log, not only where runs are hosted: an append of a shard whose rows went unstored would
        // lose them for good (the event holds only their digest).
        services.AddSingleton<IInlineProjection, Runs.RunRowsStore>();
        return services;
    }

    /// <summary>
    /// The connection string with Npgsql's automatic statement preparation on, unless it sets
    /// <c>Max Auto Prepare</c> itself. Marten sends the same few statement texts over and over (the append function,
    /// the document upserts, stream and document loads); unprepared, PostgreSQL parses and plans each one every time,
    /// which was 18% of its CPU in a profile under the runs benchmark, and the ledger benchmarks lose a third to a half
    /// (8 writers 1.42 to 0.83 of pgbench, 10-event batches 0.57 to 0.45 of raw inserts, measured in the same hour).
    /// Npgsql prepares a text once a connection has sent it twice and keeps the prepared statements across the pool; a
    /// connection going back to the pool is then reset statement by statement instead of with DISCARD ALL, which still
    /// releases session advisory locks.
    /// </summary>
    /// <remarks>
    /// Npgsql 10.0.3 has a bug here (npgsql/npgsql#6391): when the execution that prepares a statement returning rows
    /// fails (a conflict in Marten's append function, a cancelled query, a lock timeout), the next execution of that
    /// statement on that connection loses protocol sync and throws; the connection is then discarded. The cost is that
    /// one command, which <see cref="NpgsqlFaults.IsProtocolDesync"/> names so the API answers it as a retryable 503
    /// rather than a 500 (StatementPreparationTests).
    /// </remarks>
    public static string WithAutoPreparedStatements(string connectionString)
    {
        // The keys as written (NpgsqlConnectionStringBuilder.ContainsKey is true for every key it knows).
        var written = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (written.ContainsKey("Max Auto Prepare") || written.ContainsKey("MaxAutoPrepare")) return connectionString;
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 64 };
        if (!written.ContainsKey("Auto Prepare Min Usages") && !written.ContainsKey("AutoPrepareMinUsages")) builder.AutoPrepareMinUsages = 2;
        return builder.ConnectionString;
    }

    /// <summary>
    /// The connection string with PostgreSQL's JIT compilation off for the session, unless its <c>Options</c> set
    /// <c>jit</c> themselves. The store's queries are short and many; JIT pays off only for long analytical ones, yet
    /// the planner's cost estimate decides: a lineage walk over 250 ids with a generous per-id limit is estimated past
    /// <c>jit_above_cost</c> and spent 10-145 ms compiling for a query that ran in 2 ms (measured with EXPLAIN ANALYZE
    /// under the lineage benchmark: a statement's first executions, before Npgsql prepares it, get a custom plan with the limit's value).
    /// </summary>
    public static string WithoutJit(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.Options?.Contains("jit", StringComparison.OrdinalIgnoreCase) == true) return connectionString;
        builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? "-c jit=off" : builder.Options + " -c jit=off";
        return builder.ConnectionString;
    }

    public static void Configure(StoreOptions options, string connectionString, AutoCreate autoCreate)
    {
        options.Connection(WithAutoPreparedStatements(WithoutJit(connectionString)));
        options.DatabaseSchemaName = SchemaName;
        options.AutoCreateSchemaObjects = autoCreate;
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);

        options.Events.StreamIdentity = StreamIdentity.AsString;
        // Quick: versions are assigned in the database, and the expected version we pass is checked there.
        options.Events.AppendMode = EventAppendMode.Quick;
        options.Events.MetadataConfig.HeadersEnabled = true;
        options.Events.MetadataConfig.CorrelationIdEnabled = true;
        options.Events.MetadataConfig.CausationIdEnabled = true;
        foreach (var (type, name) in EventTypeRegistry.All) options.Events.MapEventType(type, name);

        options.Schema.For<EcosystemNodeDocument>().Index(d => d.Kind);
        options.Schema.For<EcosystemEdgeDocument>();
        options.Schema.For<CatalogueEntryDocument>();
        CatalogueSearchIndex.IgnoredByMarten(options);
        options.Schema.For<Governance.AccessRequestDocument>();
        options.Schema.For<Governance.GrantDocument>();
        options.Storage.ExtendedSchemaObjects.Add(Runs.RunRowsStore.Table());
        options.Storage.ExtendedSchemaObjects.AddRange(Provenance.LineageStore.Tables());
    }
}
