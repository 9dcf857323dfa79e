namespace DthGrains.Simulation.Models;

/// <summary>The models shipped with the engine, by id.</summary>
public static class ModelLibrary
{
    private static readonly ModelDefinition[] Models =
    [
        new BergmanMinimalModel(),
        new HovorkaModel(),
        new WindkesselModel(),
        new PkPdModel(),
    ];

    /// <summary>Short names a request may use for a model id.</summary>
    private static readonly Dictionary<string, string> AliasToId = new(StringComparer.Ordinal)
    {
        ["bergman"] = BergmanMinimalModel.Id,
        ["hovorka"] = HovorkaModel.Id,
        ["windkessel"] = WindkesselModel.Id,
        ["pkpd"] = PkPdModel.Id,
    };

    /// <summary>All models.</summary>
    public static IReadOnlyList<ModelDefinition> All => Models;

    /// <summary>The short name of a model id (null when it has none).</summary>
    public static string? AliasOf(string id) => AliasToId.FirstOrDefault(a => a.Value == id).Key;

    /// <summary>
    /// Finds a model by id (or a short alias: bergman, hovorka, windkessel, pkpd) and, when given, checks the version:
    /// a request made for another version must not silently run on this one.
    /// </summary>
    public static ModelDefinition Get(string idOrAlias, string? version = null)
    {
        var lower = idOrAlias.ToLowerInvariant();
        var id = AliasToId.GetValueOrDefault(lower, lower);
        var model = Models.FirstOrDefault(m => m.Info.Id == id)
            ?? throw new ArgumentException($"Unknown model '{idOrAlias}'. Known: {string.Join(", ", Models.Select(m => m.Info.Id))}.");
        if (version is not null && version != model.Info.Version)
            throw new ArgumentException($"Model '{id}' is at version {model.Info.Version}; version {version} was requested.");
        return model;
    }
}
