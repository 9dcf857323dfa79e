using DthGrains.Grains.Platform;
using DthGrains.Integration.Tests.Provenance;
using Marten;
using Npgsql;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>The event store's connections prepare the statements they repeat, unless the connection string says otherwise.</summary>
public sealed class StatementPreparationTests
{
    [Fact]
    public async Task The_event_store_prepares_a_statement_it_repeats_and_keeps_it_across_the_pool()
    {
        await using var ledger = await LedgerStore.CreateAsync();
        var store = ledger.Get<IDocumentStore>();
        for (int round = 0; round < 2; round++)
        {
            // Back to the pool in between: the prepared statement must survive the connection's reset.
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync();
            for (int i = 0; i < 3; i++)
            {
                await using var command = new NpgsqlCommand("select $1::int + 1", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = i });
                (await command.ExecuteScalarAsync()).Should().Be(i + 1);
            }
            await using var prepared = new NpgsqlCommand("select count(*) from pg_prepared_statements where statement like 'select $1::int + 1%'", connection);
            ((long)(await prepared.ExecuteScalarAsync())!).Should().Be(1, $"round {round}: the repeated statement is prepared once on this connection");
        }
    }

    [Theory]
    [InlineData("Host=h;Database=d", 64, 2)]
    [InlineData("Host=h;Database=d;Max Auto Prepare=0", 0, 5)]
    [InlineData("Host=h;Database=d;MaxAutoPrepare=10;Auto Prepare Min Usages=7", 10, 7)]
    public void A_connection_string_that_sets_preparation_itself_keeps_its_setting(string given, int maxAutoPrepare, int minUsages)
    {
        var result = new NpgsqlConnectionStringBuilder(EventStoreSetup.WithAutoPreparedStatements(given));
        result.MaxAutoPrepare.Should().Be(maxAutoPrepare);
        result.AutoPrepareMinUsages.Should().Be(minUsages);
        result.Host.Should().Be("h");
    }
}
