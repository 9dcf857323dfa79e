using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>The canonical form is byte-stable: another process recomputes, from the stored JSON, the hashes this one wrote.</summary>
public sealed class CrossProcessHashTests
{
    [Fact]
    public async Task Another_process_recomputes_every_stored_hash_from_the_stored_rows()
    {
        await using var store = await LedgerStore.CreateAsync();
        await store.WriteOrganisationAsync($"x-{Guid.NewGuid():N}"[..20], 4);
        await store.Checkpoints.TakeAsync(LedgerStore.Context);

        var rows = new List<(string Line, string Hash)>();
        await foreach (var row in store.Reader.ReadAllAsync())
        {
            var line = JsonSerializer.Serialize(new
            {
                stream = row.Stream,
                version = row.Version,
                type = row.EventType,
                body = Encoding.UTF8.GetString(row.BodyJson.Span),
                headers = Encoding.UTF8.GetString(row.HeadersJson.Span),
                correlationId = row.CorrelationId,
                causationId = row.CausationId,
                prev = row.StoredPreviousHash,
            });
            rows.Add((line, row.StoredHash!));
        }
        rows.Should().HaveCount(5);

        var input = Path.Combine(Path.GetTempPath(), $"dth-hash-probe-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllLinesAsync(input, rows.Select(r => r.Line));
        try
        {
            var assembly = typeof(CrossProcessHashTests).Assembly.Location;
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(assembly);
            start.Environment["DOTNET_STARTUP_HOOKS"] = assembly;
            start.Environment["DTH_LEDGER_HASH_PROBE"] = input;
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            process.ExitCode.Should().Be(0, await stderr);
            process.Id.Should().NotBe(Environment.ProcessId);
            (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).Should().Equal(rows.Select(r => r.Hash));
        }
        finally
        {
            File.Delete(input);
        }
    }
}
