namespace DthGrains.Contracts.Ecosystem;

/// <summary>The kinds of organisation in the DTH ecosystem.</summary>
public enum OrganisationType
{
    Hospital,
    University,
    Sme,
    Industry,
    Regulator,
    PatientOrganisation,
    HpcCentre,
    PublicBody,
}

public enum InitiativeKind
{
    Project,
    Network,
    Programme,
}

/// <summary>The kinds of node in the ecosystem map.</summary>
public enum NodeKind
{
    Organisation,
    Person,
    Initiative,
    Silo,
}

/// <summary>Edges of the ecosystem map. <see cref="HostsSilo"/> is recorded by silos themselves, never by a caller.</summary>
public enum RelationKind
{
    MemberOf,
    PartnerOf,
    Funds,
    HostsSilo,
    ParticipatesIn,
}
