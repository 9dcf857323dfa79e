using DthGrains.Simulation.Models;
using DthGrains.Simulation.Models.External;

namespace DthGrains.Silo.Runs;

/// <summary>
/// External models: codes a silo runs as local processes (see <see cref="ExternalModel"/>). A folder of descriptors
/// (<see cref="ConfigKey"/>) is read at start, before anything is served, and every descriptor registered; a descriptor
/// that does not check out stops the start with its problems. Every silo of a federation should have the same descriptors
/// (so any silo can accept and plan a run); only those that have the code (<see cref="ExternalModel.IsInstalled"/>) publish it
/// in their metadata, and the runs' shards go to them.
/// </summary>
public static class ExternalModelsSetup
{
    /// <summary>The folder of descriptors (relative paths: to the current directory). Empty: none.</summary>
    public const string ConfigKey = "Dth:Runs:ExternalModels";

    /// <summary>Loads and registers the configured descriptors; the ids of those whose code this silo has.</summary>
    public static string[] Register(IConfiguration configuration)
    {
        var folder = configuration[ConfigKey];
        if (string.IsNullOrWhiteSpace(folder)) return [];
        return [.. ExternalModel.RegisterFolder(folder).Where(m => m.IsInstalled).Select(m => m.Info.Id)];
    }

    /// <summary>Logs what was registered when the host has started, and every failed subject's process while it runs.</summary>
    public static void LogExternalModels(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ExternalModel));
        void Failed(string model, string reason) => logger.LogWarning("External model {Model}: a subject's process failed: {Reason}", model, reason);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var m in ModelLibrary.All.OfType<ExternalModel>())
                logger.LogInformation("External model {Model} {Version} ({Digest}): {State}", m.Info.Id, m.Info.Version, m.CodeDigest,
                    m.IsInstalled ? $"runs here as '{m.Command}'" : $"not installed here ('{m.Command}' not found): its shards go to silos that have it");
            ExternalModel.ProcessFailed += Failed;
        });
        app.Lifetime.ApplicationStopping.Register(() => ExternalModel.ProcessFailed -= Failed);
    }
}
