using DthGrains.Domain.Runs;
using DthGrains.Grains.Federation;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Models.External;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace DthGrains.Grains.Runs;

/// <summary>
/// The live silos that have an external model's code: those whose metadata lists it
/// (<see cref="ExternalModelHostsDirector.MetadataKey"/>, written by each host at start from the descriptors whose command
/// it found). What the models' views show, and what a submission is refused without: a run no live silo can run would
/// only fail at its first shard.
/// </summary>
public sealed class ExternalModelHosts(IClusterMembershipService membership, ISiloMetadataCache metadata)
{
    public IReadOnlyList<ExternalModelHost> LiveHostsOf(string model) =>
        membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => (m.SiloAddress, Data: metadata.GetSiloMetadata(m.SiloAddress).Metadata))
            .Where(s => ExternalModelHostsDirector.Lists(s.Data, model))
            .Select(s => new ExternalModelHost(SiloIdentity.IdFor(s.SiloAddress), InstitutionResidencyDirector.InstitutionsOf(s.Data),
                s.Data.TryGetValue(HpcPreferenceDirector.RoleKey, out var role) ? role : ""))
            .OrderBy(h => h.Silo, StringComparer.Ordinal)
            .ToList();

    /// <summary>Why a run of <paramref name="model"/> cannot start now (no live silo has its code), or null.</summary>
    public string? NoHost(SimulationModel model) =>
        model is ExternalModel && LiveHostsOf(model.Info.Id) is { Count: 0 }
            ? $"No live silo has the code of external model '{model.Info.Id}', so none could run its shards. Start a silo whose " +
              "Dth:Runs:ExternalModels folder holds its descriptor and code, or wait for one to be back (GET /api/runs/models/" +
              $"{model.Info.Id} lists the live silos that have it)."
            : null;
}
