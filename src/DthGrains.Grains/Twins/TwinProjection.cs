using DthGrains.Domain.Twins;
using DthGrains.Grains.Platform;
using Marten;

namespace DthGrains.Grains.Twins;

/// <summary>Keeps <see cref="TwinDocument"/> in step with twin streams in the appending transaction, folding with the domain's Evolve.</summary>
public sealed class TwinProjection : IInlineProjection
{
    public async Task ProjectAsync(IDocumentSession session, IReadOnlyList<PendingEvent> events, CancellationToken ct)
    {
        foreach (var stream in events.Where(e => TwinEventTypes.Names.ContainsKey(e.Data.GetType())).GroupBy(e => e.StreamKey))
        {
            var relevant = stream.ToList();
            var id = relevant[0].StreamKey[TwinEventTypes.StreamPrefix.Length..];
            var stored = relevant[0].Version == 1 ? [] : await session.Events.FetchStreamAsync(relevant[0].StreamKey, relevant[0].Version - 1, token: ct);
            var s = stored.Select(e => e.Data).Concat(relevant.Select(e => e.Data)).Aggregate(TwinState.Initial(id), TwinState.Evolve);
            if (!s.Exists) continue;
            session.Store(new TwinDocument
            {
                Id = id, Name = s.Design!.Name, Owner = s.Design.Owner, OwnerInstitution = s.Design.OwnerInstitution, Status = s.Status,
                StaleReasons = s.StaleReasons.Select(r => r.Reason).ToArray(), ModelId = s.Design.ModelId, ModelVersion = s.ModelVersion,
                EngineVersion = s.EngineVersion, DatasetId = s.Data?.DatasetId, DatasetVersion = s.Data?.DatasetVersion,
                SubjectPseudonym = s.Data?.SubjectPseudonym, GrantId = s.Data?.GrantId, ValidationPassed = s.Validation?.Passed,
                Scenarios = s.Scenarios.Count, Version = s.Version, CreatedAt = s.Design.DesignedAt, UpdatedAt = s.UpdatedAt,
            });
        }
    }
}
