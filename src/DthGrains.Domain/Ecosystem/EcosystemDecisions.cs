using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Platform;

namespace DthGrains.Domain.Ecosystem;

/// <summary>Pure decide functions of the ecosystem map: state and command in, events or a problem out.</summary>
public static class EcosystemDecisions
{
    public static Decision Register(NodeState s, OrganisationDetails details, DateTimeOffset now) =>
        Register(s, NodeKind.Organisation, EcosystemValidation.Check(details), () => new OrganisationRegistered(s.Ref.Id, details, now));

    public static Decision Register(NodeState s, PersonDetails details, bool affiliationExists, DateTimeOffset now)
    {
        var invalid = EcosystemValidation.Check(details)
                      ?? (affiliationExists ? null : Problem.Invalid("affiliation", $"Organisation '{details.Affiliation}' is not registered; register it first."));
        return Register(s, NodeKind.Person, invalid, () => new PersonRegistered(s.Ref.Id, details, now));
    }

    public static Decision Register(NodeState s, InitiativeDetails details, DateTimeOffset now) =>
        Register(s, NodeKind.Initiative, EcosystemValidation.Check(details), () => new InitiativeRegistered(s.Ref.Id, details, now));

    public static Decision Update(NodeState s, OrganisationDetails details, DateTimeOffset now) =>
        Update(s, EcosystemValidation.Check(details), details == s.Organisation, () => new OrganisationUpdated(s.Ref.Id, details, now));

    public static Decision Update(NodeState s, PersonDetails details, bool affiliationExists, DateTimeOffset now)
    {
        var invalid = EcosystemValidation.Check(details)
                      ?? (affiliationExists ? null : Problem.Invalid("affiliation", $"Organisation '{details.Affiliation}' is not registered."));
        // Compared only when valid: an invalid body (roles left out) is refused, never compared.
        var same = invalid is null && s.Person is { } p && p.Name == details.Name && p.Affiliation == details.Affiliation
                   && p.Roles.SequenceEqual(details.Roles) && p.Orcid == details.Orcid;
        return Update(s, invalid, same, () => new PersonUpdated(s.Ref.Id, details, now));
    }

    public static Decision Update(NodeState s, InitiativeDetails details, DateTimeOffset now) =>
        Update(s, EcosystemValidation.Check(details), details == s.Initiative, () => new InitiativeUpdated(s.Ref.Id, details, now));

    /// <summary>Adds an outgoing relation. A repeat of an existing relation is an idempotent no-op.</summary>
    public static Decision Relate(NodeState s, RelationKind kind, NodeRef target, bool targetExists, DateTimeOffset now)
    {
        if (!s.Exists) return Problem.NotFound($"{s.Ref}");
        if (kind == RelationKind.HostsSilo)
            return Problem.Invalid("kind", "hosts-silo edges are recorded by the silos themselves when they join the cluster.");
        if (!EcosystemValidation.IsAllowed(s.Ref.Kind, kind, target.Kind))
            return Problem.Invalid("kind", $"A {NodeRef.KindName(s.Ref.Kind)} cannot be {EcosystemValidation.Kebab(kind)} a {NodeRef.KindName(target.Kind)}. Allowed: {EcosystemValidation.DescribeAllowed()}.");
        if (target == s.Ref) return Problem.Invalid("to", "A node cannot be related to itself.");
        if (!targetExists) return Problem.Invalid("to", $"{target} does not exist; register it before relating to it.");
        if (s.HasRelation(kind, target)) return Decision.Nothing;
        return Decision.Of(new RelationAdded(s.Ref, kind, target, now));
    }

    public static Decision Unrelate(NodeState s, RelationKind kind, NodeRef target, DateTimeOffset now)
    {
        if (!s.Exists) return Problem.NotFound($"{s.Ref}");
        if (!s.HasRelation(kind, target))
            return Problem.NotFound($"Relation {s.Ref} {EcosystemValidation.Kebab(kind)} {target}");
        return Decision.Of(new RelationRemoved(s.Ref, kind, target, now));
    }

    private static Decision Register(NodeState s, NodeKind kind, Problem? invalid, Func<object> registered)
    {
        if (s.Ref.Kind != kind) return Problem.Invalid("kind", $"This node is a {NodeRef.KindName(s.Ref.Kind)}.");
        if (invalid is not null) return invalid;
        if (s.Exists) return Problem.Conflict($"{s.Ref} is already registered (version {s.Version}); update it instead.", s.Version);
        return Decision.Of(registered());
    }

    private static Decision Update(NodeState s, Problem? invalid, bool unchanged, Func<object> updated)
    {
        if (!s.Exists) return Problem.NotFound($"{s.Ref}");
        if (invalid is not null) return invalid;
        return unchanged ? Decision.Nothing : Decision.Of(updated());
    }
}
