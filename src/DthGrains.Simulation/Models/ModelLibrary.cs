namespace DthGrains.Simulation.Models;

/// <summary>
/// The models runs may name, by id: the engine's own (shipped with it) and the external codes this process registered
/// at start (a silo's <c>Dth:Runs:ExternalModels</c> folder). Registration happens before the silo serves anything;
/// reads are lock-free.
/// </summary>
public static class ModelLibrary
{
    private static readonly ModelDefinition[] Shipped =
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

    private static readonly object Gate = new();
    private static SimulationModel[] _models = [.. Shipped];

    /// <summary>All models: the engine's, then the registered external codes.</summary>
    public static IReadOnlyList<SimulationModel> All => Volatile.Read(ref _models);

    /// <summary>The engine's own ODE models (what the numerics warm-up, the twins and <c>dth sim local</c> use).</summary>
    public static IReadOnlyList<ModelDefinition> Engine => Shipped;

    /// <summary>The short name of a model id (null when it has none).</summary>
    public static string? AliasOf(string id) => AliasToId.FirstOrDefault(a => a.Value == id).Key;

    /// <summary>
    /// Adds a model (an external code) to the library. Registering the same id again is allowed only with the same
    /// version and code digest (several silos in one process, a restart of a host); anything else is refused, since runs
    /// recorded under an id and version must mean one computation.
    /// </summary>
    public static void Register(SimulationModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (Gate)
        {
            var id = model.Info.Id;
            if (AliasToId.ContainsKey(id) || Shipped.Any(m => m.Info.Id == id))
                throw new ArgumentException($"Model id '{id}' is one of the engine's own models: give the external model another id.");
            var existing = _models.FirstOrDefault(m => m.Info.Id == id);
            if (existing is not null)
            {
                if (existing.Info.Version == model.Info.Version && DigestOf(existing) == DigestOf(model)) return;
                throw new ArgumentException(
                    $"Model '{id}' is already registered at version {existing.Info.Version} ({DigestOf(existing) ?? "no digest"}); " +
                    $"a different model under that id ({model.Info.Version}, {DigestOf(model) ?? "no digest"}) is refused. Give a changed code a new version.");
            }
            Volatile.Write(ref _models, [.. _models, model]);
        }
    }

    private static string? DigestOf(SimulationModel model) => (model as External.ExternalModel)?.CodeDigest;

    /// <summary>
    /// Finds a model by id (or a short alias: bergman, hovorka, windkessel, pkpd) and, when given, checks the version:
    /// a request made for another version must not silently run on this one.
    /// </summary>
    public static SimulationModel Get(string idOrAlias, string? version = null)
    {
        var lower = idOrAlias.ToLowerInvariant();
        var id = AliasToId.GetValueOrDefault(lower, lower);
        var models = All;
        var model = models.FirstOrDefault(m => m.Info.Id == id)
            ?? throw new ArgumentException($"Unknown model '{idOrAlias}'. Known: {string.Join(", ", models.Select(m => m.Info.Id))}.");
        if (version is not null && version != model.Info.Version)
            throw new ArgumentException($"Model '{id}' is at version {model.Info.Version}; version {version} was requested.");
        return model;
    }

    /// <summary>One of the engine's own ODE models (<see cref="Get"/>, refusing an external code, which has no equations here).</summary>
    public static ModelDefinition GetEngine(string idOrAlias, string? version = null) =>
        Get(idOrAlias, version) as ModelDefinition
        ?? throw new ArgumentException($"Model '{idOrAlias}' is an external code: it runs only in platform runs (dth run submit), not in the engine itself.");
}
