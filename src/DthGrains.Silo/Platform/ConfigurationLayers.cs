namespace DthGrains.Silo.Platform;

/// <summary>
/// Configuration layers, later wins: <c>silo-config/{profile}.json</c>, environment (<c>DTH__INSTITUTION</c>, ...),
/// command line (<c>--Dth:Institution=charite</c>). The profile comes from <c>--profile</c> or <c>DTH_PROFILE</c>.
/// </summary>
public static class ConfigurationLayers
{
    public static void Apply(ConfigurationManager configuration, string[] args)
    {
        var profile = ProfileFrom(args) ?? Environment.GetEnvironmentVariable("DTH_PROFILE") ?? "standalone";
        var file = FindProfileFile(profile)
                   ?? throw new InvalidOperationException($"No configuration profile '{profile}': expected silo-config/{profile}.json next to the silo or in the working folder.");
        configuration.AddJsonFile(file, optional: false, reloadOnChange: false);
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args.Where(a => !a.StartsWith("--profile", StringComparison.Ordinal)).ToArray());
        configuration[$"{DthOptions.Section}:Profile"] = profile;
    }

    private static string? ProfileFrom(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--profile=", StringComparison.Ordinal)) return args[i]["--profile=".Length..];
            if (args[i] == "--profile" && i + 1 < args.Length) return args[i + 1];
        }
        return null;
    }

    private static string? FindProfileFile(string profile)
    {
        if (profile.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-')) return null;
        return new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() }
            .Select(dir => Path.Combine(dir, "silo-config", $"{profile}.json"))
            .FirstOrDefault(File.Exists);
    }
}
