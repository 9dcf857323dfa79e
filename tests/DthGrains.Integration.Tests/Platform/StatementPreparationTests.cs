using DthGrains.Integration.Tests.Provenance;
using Marten;
using Npgsql;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// A statement that fails leaves its pooled connection fit for the next caller. Npgsql 10.0.3's automatic preparation
/// breaks this (npgsql/npgsql#6391): when the execution that prepares a statement returning rows fails (a division by
/// zero, a NUL in a parameter; Marten's append function, which returns rows, fails on a concurrent append), the next
/// execution of that statement on that connection reads a row it has no description for and throws "Received
/// unexpected backend message DataRow", a 500 for an innocent caller. So the event store's connections do not prepare
/// statements automatically; the lineage walk prepares its few statements explicitly, which takes their description
/// before any execution and is not affected.
/// </summary>
public sealed class StatementPreparationTests
{
    [Theory]
    [InlineData("select 1 / $1", 0, false)]
    [InlineData("select count(*) from dth.mt_events where stream_id = $1", "a\0b", false)]
    [InlineData("select 1 / $1", 0, true)]
    public async Task A_statement_that_fails_on_its_second_execution_leaves_the_connection_fit_for_the_next(string sql, object failing, bool prepared)
    {
        await using var ledger = await LedgerStore.CreateAsync();
        var store = ledger.Get<IDocumentStore>();
        var fine = failing is int ? (object)1 : "resource:fine";
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();

        await ExecuteAsync(connection, sql, fine, prepared);
        // The second execution is the one Npgsql's automatic preparation (from the second use) would prepare.
        await FluentActions.Awaiting(() => ExecuteAsync(connection, sql, failing, prepared)).Should().ThrowAsync<PostgresException>();
        for (var i = 0; i < 3; i++)
            await FluentActions.Awaiting(() => ExecuteAsync(connection, sql, fine, prepared)).Should().NotThrowAsync("execution {0} after the failure", i + 1);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, object value, bool prepared)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        if (prepared) await command.PrepareAsync();
        await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task The_event_store_connections_run_without_jit_unless_the_connection_string_says_otherwise()
    {
        await using var ledger = await LedgerStore.CreateAsync();
        await using var connection = ledger.Get<IDocumentStore>().Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var show = new NpgsqlCommand("show jit", connection);
        (await show.ExecuteScalarAsync()).Should().Be("off");

        new NpgsqlConnectionStringBuilder(DthGrains.Grains.Platform.EventStoreSetup.WithoutJit("Host=h;Options=-c jit=on")).Options.Should().Be("-c jit=on");
        new NpgsqlConnectionStringBuilder(DthGrains.Grains.Platform.EventStoreSetup.WithoutJit("Host=h;Options=-c work_mem=8MB")).Options.Should().Be("-c work_mem=8MB -c jit=off");
    }
}
