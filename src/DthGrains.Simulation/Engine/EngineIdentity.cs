namespace DthGrains.Simulation.Engine;

/// <summary>
/// The simulation engine as everything that records it names it: <c>dthgrains-simulation/1.1.0</c> (the library's
/// version). Twins calibrated before session 16 recorded the same library as <c>DthGrains.Simulation/1.1.0</c> (its
/// assembly name); <see cref="Same"/> and <see cref="Canonical"/> read both as one engine, so those twins are not taken
/// for stale and the lineage has one engine node.
/// </summary>
public static class EngineIdentity
{
    private const string Name = "dthgrains-simulation/";
    private const string AssemblySpelling = "DthGrains.Simulation/";

    /// <summary>This engine.</summary>
    public static readonly string Current = Name + (typeof(EngineIdentity).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    /// <summary>A recorded engine in the current spelling; anything else (another engine, a test's name) as it is.</summary>
    public static string Canonical(string recorded) =>
        recorded.StartsWith(AssemblySpelling, StringComparison.Ordinal) ? Name + recorded[AssemblySpelling.Length..] : recorded;

    /// <summary>Whether two recorded engines are the same engine at the same version.</summary>
    public static bool Same(string a, string b) => string.Equals(Canonical(a), Canonical(b), StringComparison.Ordinal);

    /// <summary>Every spelling a record of <paramref name="engine"/> may hold (for a query that must match them all).</summary>
    public static string[] Spellings(string engine) =>
        Canonical(engine) is var canonical && canonical.StartsWith(Name, StringComparison.Ordinal)
            ? [canonical, AssemblySpelling + canonical[Name.Length..]]
            : [engine];
}
