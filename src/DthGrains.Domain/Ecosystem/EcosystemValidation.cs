using System.Text.RegularExpressions;
using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Platform;

namespace DthGrains.Domain.Ecosystem;

/// <summary>Field rules for ecosystem details; field names are the JSON member names callers send.</summary>
public static partial class EcosystemValidation
{
    /// <summary>Functions a person may have in the ecosystem (descriptive; platform permissions come from tokens).</summary>
    public static readonly IReadOnlySet<string> PersonRoles = new HashSet<string>(StringComparer.Ordinal)
    {
        "researcher", "steward", "auditor", "modeller", "clinician", "institution-admin", "platform-admin", "data-protection-officer",
    };

    [GeneratedRegex("^[A-Z]{2}$")]
    private static partial Regex CountryPattern();

    [GeneratedRegex(@"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")]
    private static partial Regex OrcidPattern();

    public static Problem? Check(OrganisationDetails? d)
    {
        if (d is null) return Problem.Invalid("body", "A JSON body with the organisation's details is required.");
        return new FieldErrors()
            .RequireText(d.Name, "name", 200)
            .Require(Enum.IsDefined(d.Type), "type", "'type' must be one of hospital, university, sme, industry, regulator, patient-organisation, hpc-centre, public-body.")
            .Require(d.Country is not null && CountryPattern().IsMatch(d.Country), "country", "'country' must be an ISO 3166-1 alpha-2 code in capitals, for example 'DE'.")
            .OptionalUrl(d.Website, "website")
            .Require(d.Description is null || d.Description.Length <= 4000, "description", "'description' must be at most 4000 characters.")
            .ToProblem();
    }

    public static Problem? Check(PersonDetails? d)
    {
        if (d is null) return Problem.Invalid("body", "A JSON body with the person's details is required.");
        var errors = new FieldErrors()
            .RequireText(d.Name, "name", 200)
            .Require(Ids.IsValid(d.Affiliation), "affiliation", $"'affiliation' must be an organisation id: {Ids.Rule}.")
            .Require(d.Roles is { Length: <= 16 }, "roles", "'roles' must be a list of at most 16 roles.")
            .Require(d.Orcid is null || OrcidPattern().IsMatch(d.Orcid), "orcid", "'orcid' must look like 0000-0002-1825-0097.");
        foreach (var role in d.Roles ?? [])
            errors.Require(PersonRoles.Contains(role), "roles", $"'{role}' is not a known role; use one of {string.Join(", ", PersonRoles.Order())}.");
        return errors.ToProblem();
    }

    public static Problem? Check(InitiativeDetails? d)
    {
        if (d is null) return Problem.Invalid("body", "A JSON body with the initiative's details is required.");
        return new FieldErrors()
            .RequireText(d.Name, "name", 200)
            .Require(Enum.IsDefined(d.Kind), "kind", "'kind' must be one of project, network, programme.")
            .OptionalUrl(d.Website, "website")
            .Require(d.Description is null || d.Description.Length <= 4000, "description", "'description' must be at most 4000 characters.")
            .Require(d.StartsOn is null || d.EndsOn is null || d.StartsOn <= d.EndsOn, "endsOn", "'endsOn' must not be before 'startsOn'.")
            .ToProblem();
    }

    /// <summary>Which relation kinds may join which node kinds. hosts-silo is absent: only silos record it.</summary>
    private static readonly HashSet<(NodeKind From, RelationKind Kind, NodeKind To)> AllowedRelations =
    [
        (NodeKind.Person, RelationKind.MemberOf, NodeKind.Organisation),
        (NodeKind.Person, RelationKind.MemberOf, NodeKind.Initiative),
        (NodeKind.Organisation, RelationKind.MemberOf, NodeKind.Initiative),
        (NodeKind.Organisation, RelationKind.PartnerOf, NodeKind.Organisation),
        (NodeKind.Organisation, RelationKind.Funds, NodeKind.Initiative),
        (NodeKind.Organisation, RelationKind.Funds, NodeKind.Organisation),
        (NodeKind.Organisation, RelationKind.ParticipatesIn, NodeKind.Initiative),
        (NodeKind.Person, RelationKind.ParticipatesIn, NodeKind.Initiative),
    ];

    public static bool IsAllowed(NodeKind from, RelationKind kind, NodeKind to) => AllowedRelations.Contains((from, kind, to));

    public static string DescribeAllowed() =>
        string.Join("; ", AllowedRelations.Select(r => $"{NodeRef.KindName(r.From)} {Kebab(r.Kind)} {NodeRef.KindName(r.To)}"));

    public static string Kebab(RelationKind kind) => kind switch
    {
        RelationKind.MemberOf => "member-of",
        RelationKind.PartnerOf => "partner-of",
        RelationKind.Funds => "funds",
        RelationKind.HostsSilo => "hosts-silo",
        RelationKind.ParticipatesIn => "participates-in",
        _ => kind.ToString(),
    };
}
