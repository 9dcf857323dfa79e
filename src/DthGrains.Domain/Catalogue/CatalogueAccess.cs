using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;

namespace DthGrains.Domain.Catalogue;

/// <summary>
/// Who sees and who changes a catalogue entry. Published metadata is visible to every authenticated user
/// (access rights govern the data, as in EHDS catalogues); a draft exists only for its publisher's institution,
/// platform admins and auditors: to everyone else it is NotFound, by id, list and search alike.
/// </summary>
public static class CatalogueAccess
{
    public static bool MaySee(Actor viewer, ResourceStatus status, string publisher) =>
        status != ResourceStatus.Draft
        || viewer.Institution == publisher
        || viewer.HasRole(Roles.PlatformAdmin)
        || viewer.HasRole(Roles.Auditor);

    /// <summary>
    /// Only the publisher institution changes an entry: its institution admins for every kind, its stewards
    /// for datasets, its modellers for models, methods and twins. A platform admin may withdraw anything.
    /// </summary>
    public static Problem? MayChange(Actor actor, ResourceKind kind, string publisher)
    {
        if (actor.HasRole(Roles.System)) return null;
        if (actor.Institution != publisher)
            return Problem.Forbidden($"Only members of '{publisher}', the publisher, may change this resource.");
        var allowed = actor.HasRole(Roles.InstitutionAdmin)
                      || (kind == ResourceKind.Dataset && actor.HasRole(Roles.Steward))
                      || (kind != ResourceKind.Dataset && actor.HasRole(Roles.Modeller));
        return allowed
            ? null
            : Problem.Forbidden(kind == ResourceKind.Dataset
                ? "Datasets are changed by the publisher's stewards or institution admins."
                : "Models, methods and twins are changed by the publisher's modellers or institution admins.");
    }

    public static Problem? MayDraft(Actor actor, ResourceKind kind) =>
        actor.Institution is null ? Problem.Forbidden("The token carries no institution; only members of an institution publish.") : MayChange(actor, kind, actor.Institution);
}
