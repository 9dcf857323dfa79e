namespace DthGrains.Contracts.Catalogue;

/// <summary>One stored FHIR resource of a dataset subject: type, id and canonical JSON.</summary>
[GenerateSerializer, Immutable, Alias("dth.catalogue.subject-resource")]
public sealed record SubjectResource(
    [property: Id(0)] string ResourceType,
    [property: Id(1)] string Id,
    [property: Id(2)] string Json);

/// <summary>A subject's resources as read for a permitted action, with the grant that permitted it (null for the owner's members).</summary>
[GenerateSerializer, Immutable, Alias("dth.catalogue.subject-data")]
public sealed record SubjectData(
    [property: Id(0)] string DatasetVersion,
    [property: Id(1)] string SubjectPseudonym,
    [property: Id(2)] SubjectResource[] Resources,
    [property: Id(3)] string? GrantId);

/// <summary>
/// A page of a version's subjects (in pseudonym order) as read for a permitted action: each subject's resources, the
/// number of subjects in the version, and the grant that permitted the read (null for the owner's members).
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.catalogue.subject-batch")]
public sealed record SubjectBatch(
    [property: Id(0)] string DatasetVersion,
    [property: Id(1)] int Total,
    [property: Id(2)] SubjectData[] Subjects,
    [property: Id(3)] string? GrantId);
