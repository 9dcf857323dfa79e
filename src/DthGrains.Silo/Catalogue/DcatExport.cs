using System.Text.Json.Nodes;
using DthGrains.Contracts.Catalogue;
using DthGrains.Grains.Catalogue;
using DthGrains.Silo.Platform;

namespace DthGrains.Silo.Catalogue;

/// <summary>
/// DCAT-AP 3 / HealthDCAT-AP JSON-LD with a fixed @context. Datasets carry the properties HealthDCAT-AP
/// expects of non-public datasets; models and methods are dcat:Resource with dct:conformsTo.
/// </summary>
public static class DcatExport
{
    public static JsonObject Context() => new()
    {
        ["dcat"] = "http://www.w3.org/ns/dcat#",
        ["dct"] = "http://purl.org/dc/terms/",
        ["foaf"] = "http://xmlns.com/foaf/0.1/",
        ["healthdcatap"] = "http://healthdataportal.eu/ns/health#",
        ["dcatap"] = "http://data.europa.eu/r5r/",
        ["dpv"] = "https://w3id.org/dpv#",
        ["dqv"] = "http://www.w3.org/ns/dqv#",
        ["vcard"] = "http://www.w3.org/2006/vcard/ns#",
        ["xsd"] = "http://www.w3.org/2001/XMLSchema#",
        ["adms"] = "http://www.w3.org/ns/adms#",
        // Properties whose values are links, not text (DCAT-AP's range is a resource): their plain string values are IRIs.
        ["dct:accessRights"] = Link("dct:accessRights"),
        ["dct:license"] = Link("dct:license"),
        ["dct:conformsTo"] = Link("dct:conformsTo"),
        ["dcat:accessURL"] = Link("dcat:accessURL"),
        ["dcat:hasVersion"] = Link("dcat:hasVersion"),
        ["dcat:theme"] = Link("dcat:theme"),
        ["dcatap:applicableLegislation"] = Link("dcatap:applicableLegislation"),
        ["vcard:hasEmail"] = Link("vcard:hasEmail"),
        ["dct:isReferencedBy"] = Link("dct:isReferencedBy"),
    };

    private static JsonObject Link(string term) => new() { ["@id"] = term, ["@type"] = "@id" };

    /// <summary>The EU data themes (publications office authority table): a code such as HEAL names its URI.</summary>
    private static readonly HashSet<string> DataThemes =
        ["AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "OP_DATPRO", "REGI", "SOCI", "TECH", "TRAN"];

    /// <summary>The legislation a catalogue entry names by its usual short name, as its European Legislation Identifier.</summary>
    private static readonly Dictionary<string, string> Legislation = new(StringComparer.OrdinalIgnoreCase)
    {
        ["EHDS"] = "http://data.europa.eu/eli/reg/2025/327/oj",
        ["GDPR"] = "http://data.europa.eu/eli/reg/2016/679/oj",
        ["DGA"] = "http://data.europa.eu/eli/reg/2022/868/oj",
        ["AI Act"] = "http://data.europa.eu/eli/reg/2024/1689/oj",
        ["MDR"] = "http://data.europa.eu/eli/reg/2017/745/oj",
    };

    private static string ThemeUri(string theme) =>
        DataThemes.Contains(theme) ? $"http://publications.europa.eu/resource/authority/data-theme/{theme}" : theme;

    private static string LegislationUri(string name) => Legislation.TryGetValue(name, out var eli) ? eli : name;

    /// <summary>An SPDX identifier ("Apache-2.0") as its SPDX URI; a licence given as a URI stays as it is.</summary>
    private static string? LicenceUri(string? licence) =>
        licence is null || licence.Contains(':', StringComparison.Ordinal) || licence.Contains(' ', StringComparison.Ordinal) ? licence : $"http://spdx.org/licenses/{licence}";

    public static JsonObject Catalog(IEnumerable<CatalogueEntryDocument> entries, string baseUrl)
    {
        var datasets = new JsonArray();
        var resources = new JsonArray();
        foreach (var e in entries.Where(e => e.Metadata is not null))
        {
            var node = Describe(e.Id, e.Kind, e.Publisher, e.Status, e.Metadata!, e.LatestVersion, e.Versions, e.CredibilityLevel, baseUrl);
            (e.Kind == ResourceKind.Dataset ? datasets : resources).Add(node);
        }
        return new JsonObject
        {
            ["@context"] = Context(),
            ["@id"] = $"{baseUrl}/api/catalogue/export",
            ["@type"] = "dcat:Catalog",
            ["dct:title"] = "DthGrains federated catalogue of digital-twin resources",
            ["dct:description"] = "Models, methods, datasets and twins shared by the institutions of the federation; data stay at the institution that holds them.",
            ["dcat:dataset"] = datasets,
            ["dcat:resource"] = resources,
        };
    }

    public static JsonObject Resource(ResourceView view, string baseUrl)
    {
        var node = Describe(view.Id, view.Kind, view.Publisher, view.Status, view.Metadata, view.LatestVersion, view.Versions.Select(v => v.Version).ToArray(),
            view.Versions.LastOrDefault(v => v.Version == view.LatestVersion)?.Credibility?.Level, baseUrl);
        node["@context"] = Context();
        return node;
    }

    private static JsonObject Describe(string id, ResourceKind kind, string publisher, ResourceStatus status, ResourceMetadata m, string? latest, string[] versions, int? credibility, string baseUrl)
    {
        var uri = $"{baseUrl}/api/catalogue/resources/{id}";
        var node = new JsonObject
        {
            ["@id"] = uri,
            ["@type"] = kind == ResourceKind.Dataset ? "dcat:Dataset" : "dcat:Resource",
            ["dct:identifier"] = id,
            ["dct:title"] = m.Title,
            ["dct:description"] = m.Description,
            ["dct:type"] = JsonNames.Of(kind),
            ["dcat:keyword"] = Array(m.Keywords),
            ["dcat:theme"] = Array(m.Themes?.Select(ThemeUri)),
            ["dct:accessRights"] = AccessRightsUri(m.AccessRights),
            ["dcatap:applicableLegislation"] = Array(m.ApplicableLegislation?.Select(LegislationUri)),
            ["dct:license"] = LicenceUri(m.Licence),
            ["dct:conformsTo"] = Array(m.ConformsTo),
            ["dct:publisher"] = new JsonObject { ["@type"] = "foaf:Agent", ["@id"] = $"{baseUrl}/api/ecosystem/organisations/{publisher}", ["foaf:name"] = publisher },
            ["dcat:contactPoint"] = new JsonObject { ["@type"] = "vcard:Kind", ["vcard:fn"] = m.ContactPoint.Name, ["vcard:hasEmail"] = $"mailto:{m.ContactPoint.Email}" },
            ["healthdcatap:healthCategory"] = Array(m.HealthCategories),
            ["healthdcatap:hasCodingSystem"] = Array(m.CodingSystems),
            ["dcat:version"] = latest,
            ["dcat:hasVersion"] = Array(versions.Select(v => $"{uri}/versions/{v}")),
            ["adms:status"] = JsonNames.Of(status),
        };
        if (m.ProvenanceStatement is not null) node["dct:provenance"] = m.ProvenanceStatement;
        if (m.HealthDataAccessBody is { } hdab)
            node["healthdcatap:hdab"] = new JsonObject { ["@type"] = "foaf:Agent", ["foaf:name"] = hdab.Name, ["vcard:hasEmail"] = $"mailto:{hdab.ContactEmail}" };
        if (m.Population is { } p)
        {
            if (p.Records is { } r) node["healthdcatap:numberOfRecords"] = r;
            if (p.UniqueIndividuals is { } u) node["healthdcatap:numberOfUniqueIndividuals"] = u;
            if (p.MinTypicalAge is { } min) node["healthdcatap:minTypicalAge"] = min;
            if (p.MaxTypicalAge is { } max) node["healthdcatap:maxTypicalAge"] = max;
            if (p.Coverage is not null) node["healthdcatap:populationCoverage"] = p.Coverage;
        }
        if (m.ReferencePublication is { } pub) node["dct:isReferencedBy"] = pub.Doi is null ? pub.Citation : $"https://doi.org/{pub.Doi}";
        if (m.PersonalDataCategories is { Length: > 0 } pd) node["dpv:hasPersonalData"] = Array(pd);
        if (m.LegalBasis is not null) node["dpv:hasLegalBasis"] = m.LegalBasis;
        if (m.Purpose is not null) node["dpv:hasPurpose"] = m.Purpose;
        if (m.RetentionPeriod is not null) node["healthdcatap:retentionPeriod"] = m.RetentionPeriod;
        if (credibility is { } level)
            node["dqv:hasQualityMeasurement"] = new JsonObject { ["@type"] = "dqv:QualityMeasurement", ["dqv:isMeasurementOf"] = "ASME V&V 40 lowest achieved factor level", ["dqv:value"] = level };
        if (kind == ResourceKind.Dataset)
        {
            node["dcat:distribution"] = new JsonArray(new JsonObject
            {
                ["@type"] = "dcat:Distribution",
                ["dcat:accessURL"] = latest is null ? uri : $"{uri}/versions/{latest}/payload",
                ["dcat:mediaType"] = "application/fhir+json",
                ["dct:conformsTo"] = "http://hl7.org/fhir/R4",
                ["dct:accessRights"] = AccessRightsUri(m.AccessRights),
            });
        }
        return node;
    }

    private static string AccessRightsUri(AccessRights rights) => "http://publications.europa.eu/resource/authority/access-right/" + rights switch
    {
        AccessRights.Public => "PUBLIC",
        AccessRights.Restricted => "RESTRICTED",
        _ => "NON_PUBLIC",
    };

    private static JsonArray Array(IEnumerable<string>? values) => new((values ?? []).Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
