using DthGrains.Grains.Runs;
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
public sealed class ClusterView(IGrainFactory grains, ISiloMetadataCache metadata, ILocalSiloDetails local)
{
    private static readonly string WorkerType = typeof(RunWorkerGrain).FullName!;
    private static readonly string RunType = typeof(RunGrain).FullName!;

    public async Task<IReadOnlyList<SiloView>> SilosAsync()
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        var members = await management.GetDetailedHosts(onlyActive: false);
        var live = members.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToArray();
        Dictionary<SiloAddress, SiloRuntimeStatistics> statistics = [];
        ILookup<SiloAddress, SimpleGrainStatistic> activations = Array.Empty<SimpleGrainStatistic>().ToLookup(s => s.SiloAddress);
        if (live.Length > 0)
        {
            var runtime = await management.GetRuntimeStatistics(live);
            statistics = live.Zip(runtime).ToDictionary(p => p.First, p => p.Second);
            activations = (await management.GetSimpleGrainStatistics(live)).ToLookup(s => s.SiloAddress);
        }
        return members
            .OrderBy(m => m.Status == SiloStatus.Active ? 0 : m.Status is SiloStatus.Joining or SiloStatus.Created ? 1 : m.Status == SiloStatus.ShuttingDown || m.Status == SiloStatus.Stopping ? 2 : 3)
            .ThenByDescending(m => m.StartTime)
            .Select(m =>
            {
                var data = metadata.GetSiloMetadata(m.SiloAddress).Metadata;
                var institutions = InstitutionResidencyDirector.InstitutionsOf(data);
                var role = data.TryGetValue(HpcPreferenceDirector.RoleKey, out var r) ? r : "";
                SiloLoad? load = statistics.TryGetValue(m.SiloAddress, out var s)
                    ? new SiloLoad(Math.Round(s.EnvironmentStatistics.FilteredCpuUsagePercentage, 1), s.EnvironmentStatistics.FilteredMemoryUsageBytes,
                        s.EnvironmentStatistics.MaximumAvailableMemoryBytes, s.ActivationCount, s.IsOverloaded,
                        Count(activations[m.SiloAddress], RunType), Count(activations[m.SiloAddress], WorkerType))
                    : null;
                return new SiloView(SiloIdentity.IdFor(m.SiloAddress), m.SiloAddress.ToParsableString(), m.SiloName, institutions, role,
                    StatusName(m.Status), new DateTimeOffset(DateTime.SpecifyKind(m.StartTime, DateTimeKind.Utc)), m.SiloAddress.Equals(local.SiloAddress), load);
            })
            .ToList();
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
