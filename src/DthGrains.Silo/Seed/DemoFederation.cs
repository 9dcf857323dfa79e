using DthGrains.Contracts.Ecosystem;

namespace DthGrains.Silo.Seed;

/// <summary>
/// The standalone demo: a small European federation in four countries, with one HPC centre, people in each
/// demo role and one initiative. The institutions are real names used as examples; every person is fictional.
/// </summary>
public static class DemoFederation
{
    public static readonly (string Id, OrganisationDetails Details)[] Organisations =
    [
        ("charite", new("Charité – Universitätsmedizin Berlin", OrganisationType.Hospital, "DE", "https://www.charite.de", "University hospital; holds the demo's diabetes cohort.")),
        ("tum", new("Technical University of Munich", OrganisationType.University, "DE", "https://www.tum.de", "Develops physiological models.")),
        ("inria", new("Inria", OrganisationType.University, "FR", "https://www.inria.fr", "Research institute for digital science; holds the demo's cardiovascular cohort.")),
        ("bsc", new("Barcelona Supercomputing Center", OrganisationType.HpcCentre, "ES", "https://www.bsc.es", "Hosts the federation's HPC silos.")),
        ("medtwin-labs", new("MedTwin Labs", OrganisationType.Sme, "FR", null, "Fictional SME building twin-based decision support.")),
        ("dth-oversight", new("DTH Oversight Office", OrganisationType.Regulator, "BE", null, "Fictional oversight body whose auditors review the ledger.")),
    ];

    public static readonly (string Id, PersonDetails Details)[] People =
    [
        ("alice-steward", new("Alice Steward", "charite", ["steward"])),
        ("bruno-steward", new("Bruno Steward", "inria", ["steward"])),
        ("carla-researcher", new("Carla Researcher", "tum", ["researcher", "modeller"])),
        ("dan-auditor", new("Dan Auditor", "dth-oversight", ["auditor"])),
        ("erik-admin", new("Erik Admin", "charite", ["institution-admin"])),
        ("pia-admin", new("Pia Admin", "bsc", ["platform-admin"])),
    ];

    public static readonly (string Id, InitiativeDetails Details) Initiative =
        ("dth-federation", new("European DTH Federation", InitiativeKind.Network, "Demo network of the institutions sharing digital-twin resources.", null, new DateOnly(2026, 1, 1), null));

    public static readonly (string From, RelationKind Kind, string To)[] Relations =
    [
        .. Organisations.Select(o => ($"organisation:{o.Id}", RelationKind.ParticipatesIn, "initiative:dth-federation")),
        .. People.Select(p => ($"person:{p.Id}", RelationKind.MemberOf, $"organisation:{p.Details.Affiliation}")),
        ("organisation:bsc", RelationKind.PartnerOf, "organisation:charite"),
        ("organisation:tum", RelationKind.PartnerOf, "organisation:inria"),
        ("organisation:medtwin-labs", RelationKind.Funds, "initiative:dth-federation"),
    ];
}
