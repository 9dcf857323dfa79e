namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// Tests that start and stop PostgreSQL servers or whole Orleans clusters: they run one at a time, and
/// not alongside other collections, so timings they measure are not distorted by a busy machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PostgresCollection
{
    public const string Name = "Embedded PostgreSQL";
}
