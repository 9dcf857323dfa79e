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

    /// <summary>All models.</summary>
    public static IReadOnlyList<ModelDefinition> All => Models;

    /// <summary>
    /// Finds a model by id (or a short alias: bergman, hovorka, windkessel, pkpd) and, when given, checks the version:
    /// a request made for another version must not silently run on this one.
    /// </summary>
    public static ModelDefinition Get(string idOrAlias, string? version = null)
    {
        var id = idOrAlias.ToLowerInvariant() switch
        {
            "bergman" => BergmanMinimalModel.Id,
            "hovorka" => HovorkaModel.Id,
            "windkessel" => WindkesselModel.Id,
            "pkpd" => PkPdModel.Id,
            var other => other,
        };
        var model = Models.FirstOrDefault(m => m.Info.Id == id)
            ?? throw new ArgumentException($"Unknown model '{idOrAlias}'. Known: {string.Join(", ", Models.Select(m => m.Info.Id))}.");
        if (version is not null && version != model.Info.Version)
            throw new ArgumentException($"Model '{id}' is at version {model.Info.Version}; version {version} was requested.");
        return model;
    }
}
