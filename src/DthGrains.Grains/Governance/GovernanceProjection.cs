using DthGrains.Contracts.Governance;
using DthGrains.Domain.Governance;
using DthGrains.Grains.Platform;
using Marten;

namespace DthGrains.Grains.Governance;

/// <summary>
/// Keeps the steward inbox and the grants in step with access-request streams, in the appending transaction.
/// It folds the stored stream plus the pending events with the domain's Evolve, so read model and grain agree.
/// </summary>
public sealed class GovernanceProjection : IInlineProjection
{
    public async Task ProjectAsync(IDocumentSession session, IReadOnlyList<PendingEvent> events, CancellationToken ct)
    {
        // Group commit puts several streams in one batch: project each access-request stream on its own.
        foreach (var stream in events.Where(e => GovernanceEventTypes.Names.ContainsKey(e.Data.GetType())).GroupBy(e => e.StreamKey))
            await ProjectStreamAsync(session, stream.ToList(), ct);
    }

    private static async Task ProjectStreamAsync(IDocumentSession session, List<PendingEvent> relevant, CancellationToken ct)
    {
        var stream = relevant[0].StreamKey;
        var id = stream["access-request:".Length..];
        var stored = relevant[0].Version == 1 ? [] : await session.Events.FetchStreamAsync(stream, relevant[0].Version - 1, token: ct);
        var state = stored.Select(e => e.Data).Concat(relevant.Select(e => e.Data)).Aggregate(AccessRequestState.Initial(id), AccessRequestState.Evolve);
        var a = state.Application!;
        session.Store(new AccessRequestDocument
        {
            Id = id,
            Applicant = state.Applicant,
            ApplicantInstitution = state.ApplicantInstitution,
            Title = a.Title,
            Purpose = a.Purpose,
            Datasets = a.Datasets,
            Owners = state.Slots.Select(s => s.Institution).ToArray(),
            PendingOwners = state.Status is ApplicationStatus.Submitted or ApplicationStatus.UnderReview
                ? state.Slots.Where(s => s.Decision == SlotDecision.Pending).Select(s => s.Institution).ToArray()
                : [],
            Persons = a.Persons,
            Status = state.Status,
            StatusReason = state.StatusReason,
            Pseudonymised = a.Pseudonymised,
            ProcessingMonths = a.ProcessingMonths,
            Actions = a.Actions,
            GrantId = state.Grant?.Id,
            Version = state.Version,
            SubmittedAt = state.SubmittedAt,
            UpdatedAt = state.UpdatedAt,
        });
        if (state.Grant is { } g)
        {
            session.Store(new GrantDocument
            {
                Id = g.Id, RequestId = id, Principals = g.Principals, Datasets = g.DatasetVersions.Keys.ToArray(),
                DatasetVersions = g.DatasetVersions.ToDictionary(), Owners = state.Slots.Select(s => s.Institution).ToArray(),
                Purpose = g.Purpose, Actions = g.Actions, Conditions = g.Conditions, ValidFrom = g.ValidFrom, ValidUntil = g.ValidUntil,
                Status = g.Status, StatusReason = g.StatusReason,
            });
        }
    }
}
