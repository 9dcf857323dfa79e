using System.Text;
using System.Text.Json;
using DthGrains.Domain.Provenance;

/// <summary>
/// A tiny entry point for <see cref="DthGrains.Integration.Tests.Provenance.CrossProcessHashTests"/>: a .NET startup
/// hook (no namespace, by the runtime's rule) that runs before the test assembly's empty generated Main when
/// <c>DOTNET_STARTUP_HOOKS</c> names this assembly. With <c>DTH_LEDGER_HASH_PROBE</c> set to a file of JSON lines
/// (stream, version, type, body, headers, correlationId, causationId, prev) it prints one ledger hash per line and exits.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        var input = Environment.GetEnvironmentVariable("DTH_LEDGER_HASH_PROBE");
        if (string.IsNullOrEmpty(input)) return;
        var output = new StringBuilder();
        foreach (var line in File.ReadLines(input))
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            string? Text(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var content = new LedgerEventContent(Text("stream")!, e.GetProperty("version").GetInt64(), Text("type")!,
                Encoding.UTF8.GetBytes(Text("body")!), Encoding.UTF8.GetBytes(Text("headers") ?? ""), Text("correlationId"), Text("causationId"), Text("prev")!);
            output.AppendLine(LedgerHash.Compute(content));
        }
        Console.Out.Write(output.ToString());
        Console.Out.Flush();
        Environment.Exit(0);
    }
}
