namespace DthGrains.Grains.Platform;

/// <summary>Npgsql faults that are not the caller's mistake and that a retry gets past.</summary>
public static class NpgsqlFaults
{
    /// <summary>
    /// Npgsql lost protocol sync with the server ("Received unexpected backend message DataRow. Please file a bug.", or
    /// "Received backend message X while expecting Y. Please file a bug."): it broke and discarded the connection, so a
    /// retry runs on a fresh one. Known to follow a failed execution that auto-prepared its statement
    /// (npgsql/npgsql#6391, see <see cref="EventStoreSetup.WithAutoPreparedStatements"/>). Npgsql raises it as a plain
    /// <see cref="Exception"/>, so it is known by its text.
    /// </summary>
    public static bool IsProtocolDesync(Exception exception) =>
        exception.GetType() == typeof(Exception)
        && exception.Message.StartsWith("Received ", StringComparison.Ordinal)
        && exception.Message.Contains("backend message", StringComparison.Ordinal)
        && exception.Message.EndsWith("Please file a bug.", StringComparison.Ordinal);
}
