using System.CommandLine;
using System.Text.Json;
using DthGrains.Cli.Catalogue;

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

    /// <summary>The API's base address; a URL that is not one is a usage error naming where it came from, not a UriFormatException.</summary>
    public static Uri ResolveBaseAddress(ParseResult parse)
    {
        var url = ResolveUrl(parse);
        if (Uri.TryCreate(url + "/", UriKind.Absolute, out var address) && address.Scheme is "http" or "https") return address;
        var from = parse.GetValue(Url) is not null ? "--url" : Environment.GetEnvironmentVariable("DTH_URL") is not null ? "DTH_URL" : ConfigPath;
        throw new UsageException($"{from} gives '{url}', which is not an http(s) URL: give the platform's address, e.g. http://127.0.0.1:5080.");
    }

    public static string? ResolveToken(ParseResult parse) =>
        parse.GetValue(Token) ?? Environment.GetEnvironmentVariable("DTH_TOKEN") ?? FromFile("token");

    /// <summary>~/.config/dth/config.json (HOME names the home folder on Linux and macOS).</summary>
    private static string ConfigPath => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "dth", "config.json");

    private static string? FromFile(string key)
    {
        var path = ConfigPath;
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new UsageException($"{path} must hold one object, {{\"url\": ..., \"token\": ...}}: fix or remove it.");
            return doc.RootElement.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{path} is not valid JSON ({ex.Message}): fix or remove it.");
        }
    }
}
