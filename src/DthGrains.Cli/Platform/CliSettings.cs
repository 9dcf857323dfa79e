using System.CommandLine;
using System.Text.Json;

namespace DthGrains.Cli.Platform;

/// <summary>
/// Where the CLI talks to and as whom. Each setting comes from its option, else the environment
/// (<c>DTH_URL</c>, <c>DTH_TOKEN</c>), else <c>~/.config/dth/config.json</c> (<c>{"url": ..., "token": ...}</c>), else a default.
/// </summary>
public static class CliSettings
{
    public static readonly Option<string?> Url = new("--url") { Description = "Base URL of the DthGrains API (env DTH_URL; default http://127.0.0.1:5080)", Recursive = true };
    public static readonly Option<string?> Token = new("--token") { Description = "Bearer token (env DTH_TOKEN; 'dth token' prints one)", Recursive = true };
    public static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of tables, for scripts", Recursive = true };

    public static string ResolveUrl(ParseResult parse) =>
        (parse.GetValue(Url) ?? Environment.GetEnvironmentVariable("DTH_URL") ?? FromFile("url") ?? "http://127.0.0.1:5080").TrimEnd('/');

    public static string? ResolveToken(ParseResult parse) =>
        parse.GetValue(Token) ?? Environment.GetEnvironmentVariable("DTH_TOKEN") ?? FromFile("token");

    private static string? FromFile(string key)
    {
        var path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "dth", "config.json");
        if (!File.Exists(path)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }
}
