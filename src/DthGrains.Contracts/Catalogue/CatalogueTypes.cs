namespace DthGrains.Contracts.Catalogue;

/// <summary>What a catalogue entry describes.</summary>
public enum ResourceKind
{
    Model,
    Method,
    Dataset,
    Twin,
}

/// <summary>HealthDCAT-AP access rights (dct:accessRights): they govern the data, never the metadata.</summary>
public enum AccessRights
{
    Public,
    Restricted,
    NonPublic,
}

/// <summary>Lifecycle of a catalogue entry: draft → published → deprecated or withdrawn (with a reason).</summary>
public enum ResourceStatus
{
    Draft,
    Published,
    Deprecated,
    Withdrawn,
}
