using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Governance;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Governance;
using DthGrains.Grains.Catalogue;
using Marten;

namespace DthGrains.Grains.Governance;

/// <summary>
/// The one policy decision point: "may P do X on R for purpose U now?". Members of the owning institution use
/// their own data; everyone else needs a live grant covering principal, dataset, action, purpose and time. A dataset its
/// publisher withdrew is used by nobody, grant or not: withdrawal is how a data holder stops every use at once (a
/// consent withdrawn, an error found), and a grant issued before it must not outlive it.
/// </summary>
public sealed class PolicyDecisionPoint(IDocumentStore store) : IDatasetAccessPolicy
{
    public async Task<DatasetAccessDecision> DecideAsync(DatasetAccessRequest request, DateTimeOffset now)
    {
        if (request.Actor.HasRole(Roles.System)) return new DatasetAccessDecision(true, "the platform itself");
        await using var session = store.QuerySession();
        if (await session.LoadAsync<CatalogueEntryDocument>(request.DatasetId) is { Status: ResourceStatus.Withdrawn } withdrawn)
            return new DatasetAccessDecision(false,
                $"Dataset '{request.DatasetId}' was withdrawn by its publisher on {withdrawn.UpdatedAt:yyyy-MM-dd} ({withdrawn.StatusReason ?? "no reason recorded"}); no grant covers a withdrawn dataset.");
        if (request.Actor.Institution == request.Institution && !request.Actor.HasRole(Roles.Auditor))
            return new DatasetAccessDecision(true, $"member of the owning institution '{request.Institution}'");
        if (!AccessPolicy.TryParse<PermittedAction>(request.Action, out var action))
            return new DatasetAccessDecision(false, $"Unknown action '{request.Action}'.");
        EhdsPurpose? purpose = AccessPolicy.TryParse<EhdsPurpose>(request.Purpose, out var p) ? p : null;

        var grants = await session.Query<GrantDocument>()
            .Where(g => g.Principals.Contains(request.Actor.Subject) && g.Datasets.Contains(request.DatasetId))
            .ToListAsync();
        var verdict = AccessPolicy.Evaluate(grants.Select(g => g.ToGrant()), request.Actor.Subject, request.DatasetId, request.Version, action, purpose, now);
        return new DatasetAccessDecision(verdict.Permit, verdict.Reason, verdict.GrantId);
    }
}
