using DthGrains.Silo.Identity;
using DthGrains.Silo.Platform;
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

    /// <summary>
    /// More files and folders an operator hides from the codes (a mounted share, a credential in a place of its own): a list,
    /// as children of the key (<c>Dth:Runs:HideFromCodes:0</c>, ...) or one value separated by the PATH separator.
    /// </summary>
    public const string HideKey = "Dth:Runs:HideFromCodes";

    /// <summary>
    /// Hides from the codes it starts, for as long as the registration lasts: the silo's data folder (the embedded
    /// database with its socket, which trusts whoever reaches it; the ledger files; join.env), its token signing key,
    /// the configuration files it read (a federation's connection string may hold a password), its user's credentials
    /// and histories where the common tools keep them (<see cref="ExternalModel.CredentialsOf"/>: SSH keys, cloud logins,
    /// .pgpass, ...), and what the operator lists under <see cref="HideKey"/>. A code runs as the silo's user, and could
    /// otherwise read the key and mint any token, or write to the database. Refuses, with the fix, an external models' folder inside a hidden folder, where
    /// its codes could not see their own files, and a temporary folder inside one, where they could not work.
    /// </summary>
    public static IDisposable HideSecrets(IConfiguration configuration, DthOptions options) => HideSecrets(configuration, options, ExternalModel.UserHome);

    /// <summary>As <see cref="HideSecrets(IConfiguration, DthOptions)"/>, for a silo whose user's home is <paramref name="home"/>.</summary>
    public static IDisposable HideSecrets(IConfiguration configuration, DthOptions options, string home)
    {
        var data = options.ResolveDataDirectory();
        var key = options.ResolveSigningKeyPath();
        var listed = Listed(configuration, HideKey).Select(Path.GetFullPath).ToArray();
        var credentials = ExternalModel.CredentialsOf(home);
        if (configuration[ConfigKey] is { Length: > 0 } models)
        {
            // Why a folder is hidden, and the fix beside moving out of it: hiding less, unless it holds credentials.
            string Why(string hidden) => hidden == data ? "the silo's data folder" : listed.Contains(hidden) ? HideKey : "its user's credentials";
            string OrHideLess(string hidden) => credentials.Contains(hidden) ? "" : ", or hide less";
            // Each code works in a folder made there, with its scratch mounted over it: inside a hidden folder, no code could start.
            var temporary = Path.TrimEndingDirectorySeparator(Path.GetTempPath());
            if (((string[])[data, .. listed, .. credentials]).FirstOrDefault(hidden => IsWithin(temporary, hidden)) is { } hiding)
                throw new InvalidOperationException($"The temporary folder '{temporary}' (TMPDIR), in which each external code gets its working folder, lies inside '{hiding}', " +
                    $"which is hidden from the codes ({Why(hiding)}): set TMPDIR to a folder outside it{OrHideLess(hiding)}.");
            var folder = Path.GetFullPath(models);
            if (IsWithin(folder, data))
                throw new InvalidOperationException($"The external models' folder '{folder}' ({ConfigKey}) lies inside the silo's data folder '{data}', " +
                    "which its codes cannot see (it holds the database and the signing key): move it out of the data folder.");
            if (((string[])[.. listed, .. credentials]).FirstOrDefault(hidden => IsWithin(folder, hidden)) is { } over)
                throw new InvalidOperationException($"The external models' folder '{folder}' ({ConfigKey}) lies inside '{over}', which is hidden from the codes ({Why(over)}): " +
                    $"move the models out of it{OrHideLess(over)}.");
        }
        return ExternalModel.HideFromCodes([data, Path.GetFullPath(key), .. ConfigurationFiles(configuration), .. listed, .. credentials]);
    }

    /// <summary>A list setting: the values of the key's children, else its value split at the PATH separator.</summary>
    private static IEnumerable<string> Listed(IConfiguration configuration, string key)
    {
        string[] children = [.. configuration.GetSection(key).GetChildren().Select(c => c.Value).OfType<string>()];
        var values = children.Length > 0 ? children : (configuration[key] ?? "").Split(Path.PathSeparator);
        return values.Select(v => v.Trim()).Where(v => v.Length > 0);
    }

    /// <summary>The files the configuration was read from (the profile's json).</summary>
    private static IEnumerable<string> ConfigurationFiles(IConfiguration configuration) =>
        configuration is IConfigurationRoot root
            ? root.Providers.OfType<FileConfigurationProvider>().Select(p => p.Source.FileProvider?.GetFileInfo(p.Source.Path ?? "").PhysicalPath).OfType<string>()
            : [];

    private static bool IsWithin(string path, string folder)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;
        return (Path.TrimEndingDirectorySeparator(path) + Path.DirectorySeparatorChar).StartsWith(root, StringComparison.Ordinal);
    }

    /// <summary>Logs what was registered when the host has started, and every failed subject's process while it runs.</summary>
    public static void LogExternalModels(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ExternalModel));
        void Failed(string model, string reason) => logger.LogWarning("External model {Model}: a subject's process failed: {Reason}", model, reason);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (ModelLibrary.All.OfType<ExternalModel>().Any())
            {
                // What exists, each path once: the signing key inside the data folder goes with the folder.
                var hidden = new List<string>();
                foreach (var path in ExternalModel.HiddenFromCodes.Where(p => File.Exists(p) || Directory.Exists(p)))
                    if (!hidden.Any(folder => path.StartsWith(folder + "/", StringComparison.Ordinal))) hidden.Add(path);
                logger.LogInformation("External codes do not see these {Count} paths (and write only their scratch): {Hidden}", hidden.Count, string.Join(", ", hidden));
            }
            foreach (var m in ModelLibrary.All.OfType<ExternalModel>())
                logger.LogInformation("External model {Model} {Version} ({Digest}): {State}", m.Info.Id, m.Info.Version, m.CodeDigest,
                    m.IsInstalled ? $"runs here as '{m.Command}'" : $"not runnable here: {m.NotRunnableHere} Its shards go to silos that can run it.");
            ExternalModel.ProcessFailed += Failed;
        });
        app.Lifetime.ApplicationStopping.Register(() => ExternalModel.ProcessFailed -= Failed);
    }
}
