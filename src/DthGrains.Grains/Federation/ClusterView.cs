using DthGrains.Grains.Runs;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace DthGrains.Grains.Federation;

/// <summary>
/// One silo of the federation as its operators see it: who hosts it and in which role, whether it is live, its load, and
/// the simulation work on it (run grains, and shards: one worker grain per shard solving or waiting for a slot).
/// </summary>
/// <param name="Load">null for a silo that is not live (no statistics), or whose statistics did not come in time.</param>
public sealed record SiloView(string Id, string Address, string Name, string[] Institutions, string Role, string Status, DateTimeOffset StartedAt,
    bool ThisSilo, SiloLoad? Load);

/// <param name="CpuPercent">the process's CPU over all cores, in percent (smoothed by Orleans).</param>
/// <param name="Shards">worker grains on the silo: shards solving or waiting for a worker slot there.</param>
public sealed record SiloLoad(double CpuPercent, long MemoryBytes, long TotalMemoryBytes, int Activations, bool Overloaded, int Runs, int Shards);

/// <summary>
/// Reads the cluster as Orleans knows it: membership (every silo it has an entry for, live or not, newest first within a
/// status), silo metadata (institutions and role, written by each host at start), and the management grain's runtime
/// and per-type activation statistics of the live silos.
/// </summary>
public sealed class ClusterView(IGrainFactory grains, ISiloMetadataCache metadata, ILocalSiloDetails local, ILogger<ClusterView> logger)
{
    /// <summary>
    /// How long one silo's statistics may take. A silo listed active may be frozen or killed: membership declares it
    /// dead only after its missed probes, and until then a call to it waits for the messaging timeout (30 s); asked
    /// together, one such silo failed the whole view. Each silo is asked on its own, within this bound, and shows without
    /// load when it does not answer.
    /// </summary>
    public static readonly TimeSpan StatisticsBound = TimeSpan.FromSeconds(3);

    private static readonly string WorkerType = typeof(RunWorkerGrain).FullName!;
    private static readonly string RunType = typeof(RunGrain).FullName!;

    public async Task<IReadOnlyList<SiloView>> SilosAsync()
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        // The management grain is a stateless worker: always this silo's, so this read never waits for another silo.
        var members = await management.GetDetailedHosts(onlyActive: false);
        var live = members.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToArray();
        var loads = live.Zip(await Task.WhenAll(live.Select(silo => LoadOfAsync(management, silo))))
            .Where(p => p.Second is not null).ToDictionary(p => p.First, p => p.Second!);
        return members
            .OrderBy(m => m.Status == SiloStatus.Active ? 0 : m.Status is SiloStatus.Joining or SiloStatus.Created ? 1 : m.Status == SiloStatus.ShuttingDown || m.Status == SiloStatus.Stopping ? 2 : 3)
            .ThenByDescending(m => m.StartTime)
            .Select(m =>
            {
                var data = metadata.GetSiloMetadata(m.SiloAddress).Metadata;
                var institutions = InstitutionResidencyDirector.InstitutionsOf(data);
                var role = data.TryGetValue(HpcPreferenceDirector.RoleKey, out var r) ? r : "";
                var load = loads.GetValueOrDefault(m.SiloAddress);
                return new SiloView(SiloIdentity.IdFor(m.SiloAddress), m.SiloAddress.ToParsableString(), m.SiloName, institutions, role,
                    StatusName(m.Status), new DateTimeOffset(DateTime.SpecifyKind(m.StartTime, DateTimeKind.Utc)), m.SiloAddress.Equals(local.SiloAddress), load);
            })
            .ToList();
    }

    /// <summary>One live silo's load, or null when it did not answer within <see cref="StatisticsBound"/> (or refused: it is going).</summary>
    private async Task<SiloLoad?> LoadOfAsync(IManagementGrain management, SiloAddress silo)
    {
        var runtime = management.GetRuntimeStatistics([silo]);
        var activations = management.GetSimpleGrainStatistics([silo]);
        try
        {
            await Task.WhenAll(runtime, activations).WaitAsync(StatisticsBound);
            var s = (await runtime)[0];
            var types = await activations;
            return new SiloLoad(Math.Round(s.EnvironmentStatistics.FilteredCpuUsagePercentage, 1), s.EnvironmentStatistics.FilteredMemoryUsageBytes,
                s.EnvironmentStatistics.MaximumAvailableMemoryBytes, s.ActivationCount, s.IsOverloaded, Count(types, RunType), Count(types, WorkerType));
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            // Left to finish or fail on their own, observed, so a late failure is not an unobserved task exception.
            runtime.Ignore();
            activations.Ignore();
            logger.LogInformation("Silo {Silo} gave no statistics within {Bound}: shown without load ({Error})", silo, StatisticsBound, ex.Message);
            return null;
        }
    }

    // The statistic names the grain class (with its assembly in some versions): matched by the class's full name.
    private static int Count(IEnumerable<SimpleGrainStatistic> statistics, string type) =>
        statistics.Where(s => s.GrainType.StartsWith(type, StringComparison.Ordinal)).Sum(s => s.ActivationCount);

    /// <summary>Orleans' statuses in the API's kebab case: active, joining, shutting-down, stopping, dead.</summary>
    public static string StatusName(SiloStatus status) => status switch
    {
        SiloStatus.ShuttingDown => "shutting-down",
        _ => status.ToString().ToLowerInvariant(),
    };
}
