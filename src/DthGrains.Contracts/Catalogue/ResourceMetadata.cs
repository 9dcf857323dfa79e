namespace DthGrains.Contracts.Catalogue;

/// <summary>
/// Metadata of a catalogue entry after HealthDCAT-AP release 5 (datasets) and the DCAT description in
/// STANDARDS.md (models, methods). Validated against schemas/catalogue/resource-metadata.schema.json.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.catalogue.metadata")]
public sealed record ResourceMetadata(
    [property: Id(0)] string Title,                                // dct:title
    [property: Id(1)] string Description,                          // dct:description
    [property: Id(2)] string[] Keywords,                           // dcat:keyword
    [property: Id(3)] string[] Themes,                             // dcat:theme (e.g. HEAL)
    [property: Id(4)] string[] HealthCategories,                   // healthdcatap:healthCategory
    [property: Id(5)] string[] CodingSystems,                      // healthdcatap:hasCodingSystem (SNOMED CT, ICD-10, LOINC...)
    [property: Id(6)] ContactPoint ContactPoint,                   // dcat:contactPoint
    [property: Id(7)] string Licence,                              // dct:license (SPDX id or URL)
    [property: Id(8)] AccessRights AccessRights,                   // dct:accessRights
    [property: Id(9)] string[] ApplicableLegislation,              // dcatap:applicableLegislation (EHDS, GDPR, DGA)
    [property: Id(10)] string[] ConformsTo,                        // dct:conformsTo (SBML, CellML, FMI, SED-ML, FHIR profile, built-in engine model)
    [property: Id(11)] PopulationFacts? Population = null,         // healthdcatap:numberOfRecords, numberOfUniqueIndividuals, min/maxTypicalAge, populationCoverage
    [property: Id(12)] Publication? ReferencePublication = null,   // dct:isReferencedBy
    [property: Id(13)] string? ProvenanceStatement = null,         // dct:provenance
    [property: Id(14)] DataAccessBody? HealthDataAccessBody = null, // healthdcatap:hdab
    [property: Id(15)] string[]? PersonalDataCategories = null,    // dpv:hasPersonalData
    [property: Id(16)] string? LegalBasis = null,                  // dpv:hasLegalBasis
    [property: Id(17)] string? RetentionPeriod = null,             // healthdcatap:retentionPeriod (ISO 8601 duration)
    [property: Id(18)] string? Purpose = null,                     // dpv:hasPurpose
    [property: Id(19)] Variable[]? Variables = null,               // the variable dictionary for samples
    [property: Id(20)] string[]? Authors = null,
    [property: Id(21)] string? ModelType = null);                  // mechanistic or data-driven (models)

[GenerateSerializer, Immutable, Alias("dth.catalogue.contact-point")]
public sealed record ContactPoint([property: Id(0)] string Name, [property: Id(1)] string Email);

[GenerateSerializer, Immutable, Alias("dth.catalogue.population")]
public sealed record PopulationFacts(
    [property: Id(0)] long? Records,
    [property: Id(1)] long? UniqueIndividuals,
    [property: Id(2)] int? MinTypicalAge,
    [property: Id(3)] int? MaxTypicalAge,
    [property: Id(4)] string? Coverage);

[GenerateSerializer, Immutable, Alias("dth.catalogue.publication")]
public sealed record Publication([property: Id(0)] string Citation, [property: Id(1)] string? Doi);

[GenerateSerializer, Immutable, Alias("dth.catalogue.access-body")]
public sealed record DataAccessBody([property: Id(0)] string Name, [property: Id(1)] string ContactEmail);

[GenerateSerializer, Immutable, Alias("dth.catalogue.variable")]
public sealed record Variable([property: Id(0)] string Name, [property: Id(1)] string Title, [property: Id(2)] string? Description, [property: Id(3)] string Datatype);
