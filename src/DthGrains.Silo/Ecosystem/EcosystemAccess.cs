using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Grains.Ecosystem;
using Marten;

namespace DthGrains.Silo.Ecosystem;

/// <summary>
/// Who may change which part of the map. A platform admin may change anything; an institution admin only
/// their own organisation, the people affiliated with it, its outgoing relations, and initiatives.
/// </summary>
public static class EcosystemAccess
{
    public static Problem? MayWriteOrganisation(Actor actor, string organisationId) =>
        actor.HasRole(Roles.PlatformAdmin) || (actor.HasRole(Roles.InstitutionAdmin) && actor.Institution == organisationId)
            ? null
            : Problem.Forbidden($"Only a platform admin or an institution admin of '{organisationId}' may change this organisation.");

    public static Problem? MayWritePerson(Actor actor, string affiliation) =>
        actor.HasRole(Roles.PlatformAdmin) || (actor.HasRole(Roles.InstitutionAdmin) && actor.Institution == affiliation)
            ? null
            : Problem.Forbidden($"Only a platform admin or an institution admin of '{affiliation}' may register or change its people.");

    public static Problem? MayWriteInitiative(Actor actor) =>
        actor.HasRole(Roles.PlatformAdmin) || actor.HasRole(Roles.InstitutionAdmin)
            ? null
            : Problem.Forbidden("Only institution or platform admins may register or change initiatives.");

    /// <summary>Relations are changed by whoever may change their source node.</summary>
    public static async Task<Problem?> MayRelateFrom(Actor actor, NodeRef from, IQuerySession session, CancellationToken ct)
    {
        switch (from.Kind)
        {
            case NodeKind.Organisation:
                return MayWriteOrganisation(actor, from.Id);
            case NodeKind.Person:
                var person = await session.LoadAsync<EcosystemNodeDocument>(from.ToString(), ct);
                return person?.Person is { } p ? MayWritePerson(actor, p.Affiliation) : actor.HasRole(Roles.PlatformAdmin) ? null : Problem.NotFound($"{from}");
            default:
                return MayWriteInitiative(actor);
        }
    }
}
