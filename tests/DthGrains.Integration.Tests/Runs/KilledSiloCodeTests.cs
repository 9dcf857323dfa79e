using System.Net;
using System.Net.Http.Json;
using DthGrains.Cli.Identity;
using DthGrains.Contracts.Platform;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// A silo host process killed with SIGKILL while its workers run an external model's codes: nothing in the silo runs at
/// SIGKILL, and the codes lead process groups of their own, so only the silo's code warden (a watchdog process that sees
/// the silo's end as the end of its pipe) can stop them. Before it, they ran on as orphans, here for ten minutes.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class KilledSiloCodeTests : IDisposable
{
    private readonly string _folder = TestPostgres.NewTemporaryFolder("killed-silo-codes");

    public void Dispose() => TestPostgres.DeleteFolder(_folder);

    [Fact]
    public async Task A_silo_killed_with_SIGKILL_leaves_none_of_its_codes_running()
    {
        if (OperatingSystem.IsWindows()) return;
        var models = Directory.CreateDirectory(Path.Combine(_folder, "models", "hang")).FullName;
        ExternalCodes.Hanging(models, "hang-when-killed");
        var connectionString = await TestPostgres.CreateDatabaseAsync("killed_silo_codes", orleansSchema: true);
        var settings = SiloSettings.Fresh("inst-a", $"killed-codes-{Guid.NewGuid():N}", connectionString, Path.Combine(_folder, "data"), "hpc",
            Path.Combine(_folder, "signing-key.pem")) with { Extra = [$"--Dth:Runs:ExternalModels={Path.GetDirectoryName(models)}"] };
        using var silo = SiloProcess.Start(settings);
        await silo.WaitStartedAsync(TimeSpan.FromMinutes(2));

        using var client = new HttpClient { BaseAddress = new Uri(settings.Url), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new("Bearer",
            StandaloneTokens.Mint(settings.SigningKeyPath!, new("carla", "Carla", "tum", [Roles.Researcher], TimeSpan.FromHours(1))));
        var submitted = await client.PostAsJsonAsync("/api/runs", new { kind = "single", model = "hang-when-killed" });
        submitted.StatusCode.Should().Be(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
        var codes = await Eventually.Until(() => Task.FromResult(ExternalCodes.Started(models)), started => started.Length > 0,
            TimeSpan.FromSeconds(60), "the code to start");
        codes.Should().OnlyContain(marker => ExternalCodes.IsRunning(marker));

        silo.KillNine();
        await silo.WaitExitedAsync(TimeSpan.FromSeconds(30));
        foreach (var marker in codes)
            await Eventually.Until(() => Task.FromResult(ExternalCodes.IsRunning(marker)), running => !running, TimeSpan.FromSeconds(30),
                $"code {marker} of the killed silo to be killed by its warden");
    }
}
