using System.Text.Json;
using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Catalogue;
using DthGrains.Fhir.Outcomes;
using DthGrains.Grains.Catalogue;
using DthGrains.Grains.Federation;
using DthGrains.Grains.Platform;
using DthGrains.Silo.Identity;
using DthGrains.Silo.Platform;
using Microsoft.AspNetCore.Http.Features;

namespace DthGrains.Silo.Catalogue;

/// <summary>The federated catalogue: drafts, versions, lifecycle, credibility, search with facets, dataset payloads, JSON-LD.</summary>
public static class CatalogueEndpoints
{
    public const string JsonLd = "application/ld+json";
    private const long MaxUploadBytes = 64L * 1024 * 1024;

    public static IEndpointRouteBuilder MapCatalogueEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/catalogue").WithTags("Catalogue");
        group.MapGet("/resources", Search).WithName("SearchCatalogue")
            .WithSummary("Search published resources (and your institution's drafts): q, facets, sort, cursor; JSON-LD with Accept: application/ld+json")
            .Produces<CataloguePage>().Produces(200, contentType: JsonLd).ProducesProblem(400);
        group.MapPost("/resources", Draft).WithName("DraftResource").WithSummary("Draft a model, method, dataset or twin for your institution")
            .Accepts<DraftResourceRequest>("application/json").Produces<ResourceView>(201).ProducesProblem(400).ProducesProblem(403).ProducesProblem(409)
            .RequireAuthorization(IdentitySetup.CatalogueWriters);
        group.MapGet("/resources/{id}", Get).WithName("GetResource").WithSummary("A resource with its versions; JSON-LD with Accept: application/ld+json")
            .Produces<ResourceView>().ProducesProblem(404);
        group.MapPut("/resources/{id}/metadata", Revise).WithName("ReviseResource").TakesIfMatch().WithSummary("Replace the working metadata (If-Match: the ETag)")
            .Accepts<ResourceMetadata>("application/json").Produces<ResourceView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(412)
            .RequireAuthorization(IdentitySetup.CatalogueWriters);
        group.MapPost("/resources/{id}/versions", Release).WithName("ReleaseVersion").TakesIfMatch()
            .WithSummary("Release a version: JSON {version, releaseNotes, checksum} for models and methods (If-Match: the entry's ETag); a FHIR R4 Bundle (application/fhir+json, ?version=&notes=, no If-Match) for datasets")
            .Accepts<VersionRelease>("application/json", FhirMediaTypes.FhirJson).Produces<ResourceView>(201).ProducesProblem(400).ProducesProblem(403).ProducesProblem(409).ProducesProblem(422).ProducesProblem(503)
            .RequireAuthorization(IdentitySetup.CatalogueWriters);
        group.MapPost("/resources/{id}/publish", Publish).WithName("PublishResource").TakesIfMatch().WithSummary("Publish a draft that has a version")
            .Produces<ResourceView>().ProducesProblem(404).ProducesProblem(409).RequireAuthorization(IdentitySetup.CatalogueWriters);
        group.MapPost("/resources/{id}/deprecate", Deprecate).WithName("DeprecateResource").TakesIfMatch().WithSummary("Deprecate a published resource, with a reason")
            .Accepts<ReasonRequest>("application/json").Produces<ResourceView>().ProducesProblem(400).ProducesProblem(409).RequireAuthorization(IdentitySetup.CatalogueWriters);
        group.MapPost("/resources/{id}/withdraw", Withdraw).WithName("WithdrawResource").TakesIfMatch().WithSummary("Withdraw a resource, with a reason")
            .Accepts<ReasonRequest>("application/json").Produces<ResourceView>().ProducesProblem(400).ProducesProblem(409).RequireAuthorization(IdentitySetup.CatalogueWriters);
        group.MapPut("/resources/{id}/versions/{version}/credibility", RecordCredibility).WithName("RecordCredibility").TakesIfMatch()
            .WithSummary("Record the ASME V&V 40 credibility of a model version")
            .Accepts<CredibilityRecord>("application/json").Produces<ResourceView>().ProducesProblem(400).ProducesProblem(404).RequireAuthorization(IdentitySetup.CatalogueWriters);
        group.MapGet("/resources/{id}/versions/{version}/payload", ReadPayload).WithName("ReadDatasetPayload")
            .WithSummary("A dataset version's FHIR R4 content (collection Bundle); errors as OperationOutcome; every attempt is recorded")
            .Produces(200, contentType: FhirMediaTypes.FhirJson).Produces(403, contentType: FhirMediaTypes.FhirJson).Produces(404, contentType: FhirMediaTypes.FhirJson).Produces(503, contentType: FhirMediaTypes.FhirJson);
        group.MapGet("/resources/{id}/history", History).WithName("GetResourceHistory").WithSummary("The resource's events with their envelopes")
            .Produces<IReadOnlyList<StoredEvent>>().ProducesProblem(404);
        group.MapGet("/export", Export).WithName("ExportCatalogue").WithSummary("The whole visible catalogue as DCAT-AP / HealthDCAT-AP JSON-LD")
            .Produces(200, contentType: JsonLd);
        return app;
    }

    private static bool WantsJsonLd(HttpRequest request) => request.Headers.Accept.ToString().Contains(JsonLd, StringComparison.OrdinalIgnoreCase);

    private static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}";

    private static async Task<IResult> Search(HttpContext http, CatalogueSearch search, string? q, string[]? kind, string[]? theme, string[]? healthCategory,
        string[]? codingSystem, string[]? publisher, string[]? country, string[]? accessRights, string[]? licence, string[]? conformsTo,
        int? minCredibility, string[]? status, string? sort, int? limit, string? cursor)
    {
        if (limit is < 1 or > CatalogueSearch.MaxPageSize)
            return Problem.Invalid("limit", $"'limit' must be between 1 and {CatalogueSearch.MaxPageSize}.").ToProblem();
        if (q is { Length: > 500 }) return Problem.Invalid("q", "'q' must be at most 500 characters.").ToProblem();
        CatalogueSort? sortBy = sort switch { null or "relevance" => CatalogueSort.Relevance, "title" => CatalogueSort.Title, "updated" => CatalogueSort.Updated, _ => null };
        if (sortBy is null) return Problem.Invalid("sort", "'sort' is relevance, title or updated.").ToProblem();
        if (Enums<ResourceKind>("kind", kind, out var kinds) is { } badKind) return badKind.ToProblem();
        if (Enums<AccessRights>("accessRights", accessRights, out var rights) is { } badRights) return badRights.ToProblem();
        if (Enums<ResourceStatus>("status", status, out var statuses) is { } badStatus) return badStatus.ToProblem();

        var query = new CatalogueQuery(q, kinds, theme, healthCategory, codingSystem, publisher, country, rights, licence, conformsTo, minCredibility, statuses,
            sortBy.Value, limit ?? 20, cursor);
        if (!CatalogueSearch.Cursors.IsValid(cursor, CatalogueSearch.EffectiveSort(query)))
            return Problem.Invalid("cursor", "'cursor' must be the nextCursor of a previous page of the same search, with the same q and sort.").ToProblem();
        var actor = http.User.ToActor();
        var result = await search.SearchAsync(query, actor, http.RequestAborted);
        if (WantsJsonLd(http.Request))
        {
            // JSON-LD has no place for the cursor and the total: the next page is a Link (RFC 8288), the total a header.
            http.Response.Headers["X-Total-Count"] = result.Total.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (result.NextCursor is { } next)
            {
                var parameters = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(http.Request.QueryString.Value);
                parameters["cursor"] = next;
                var url = Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString($"{BaseUrl(http.Request)}{http.Request.Path}",
                    parameters.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v))));
                ApiResults.NextPage(http, url);
            }
            return Results.Text(DcatExport.Catalog(result.Items.Select(h => h.Entry), BaseUrl(http.Request)).ToJsonString(), JsonLd);
        }
        var items = result.Items.Select(h => new CatalogueEntry(h.Entry.Id, h.Entry.Kind, h.Entry.Publisher, h.Entry.PublisherCountry, h.Entry.Status, h.Entry.StatusReason,
            h.Entry.Title, h.Entry.Description, h.Entry.Keywords, h.Entry.AccessRights, h.Entry.LatestVersion, h.Entry.CredibilityLevel, h.Entry.UpdatedAt, h.Rank)).ToList();
        return TypedResults.Json(new CataloguePage(items, result.Total, result.NextCursor, WireFacets(result.Facets)), JsonDefaults.Options);
    }

    /// <summary>Enum facets are stored under .NET names; callers see and send the kebab-case wire names.</summary>
    private static IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> WireFacets(IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> facets)
    {
        static string Wire<TEnum>(string name) where TEnum : struct, Enum => Enum.TryParse<TEnum>(name, out var v) ? JsonNames.Of(v) : name;
        return facets.ToDictionary(f => f.Key, f => (IReadOnlyDictionary<string, int>)f.Value.ToDictionary(v => f.Key switch
        {
            "kind" => Wire<ResourceKind>(v.Key),
            "accessRights" => Wire<AccessRights>(v.Key),
            "status" => Wire<ResourceStatus>(v.Key),
            _ => v.Key,
        }, v => v.Value));
    }

    /// <summary>Turns kebab-case query values into the stored enum names, or a 400 naming the allowed values.</summary>
    private static Problem? Enums<TEnum>(string field, string[]? values, out string[]? names) where TEnum : struct, Enum
    {
        names = null;
        if (values is not { Length: > 0 }) return null;
        var map = Enum.GetValues<TEnum>().ToDictionary(v => JsonNames.Of(v), v => v.ToString());
        var unknown = values.Where(v => !map.ContainsKey(v)).ToArray();
        if (unknown.Length > 0) return Problem.Invalid(field, $"'{field}' must be one of {string.Join(", ", map.Keys)}.");
        names = values.Select(v => map[v]).ToArray();
        return null;
    }

    private static async Task<IResult> Draft(HttpContext http, IGrainFactory grains)
    {
        var (document, invalid) = await JsonBody.ReadDocumentAsync(http.Request);
        if (invalid is not null) return invalid.ToProblem();
        using (document)
        {
            if (CatalogueSchemas.ValidateDraft(document!.RootElement) is { } schemaErrors) return schemaErrors.ToProblem();
            var (body, badBody) = JsonBody.Bind<DraftResourceRequest>(document.RootElement);
            if (badBody is not null) return badBody.ToProblem();
            var id = body!.Id ?? Ids.Slugify(body.Metadata.Title);
            if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
            var (context, badHeader) = HttpCommandContext.For(http);
            if (badHeader is not null) return badHeader.ToProblem();
            var outcome = await grains.GetGrain<IResourceGrain>(id).DraftAsync(body.Kind, MetadataNormaliser.Normalise(body.Metadata), context!);
            return ApiResults.Ok(http, outcome, StatusCodes.Status201Created, $"/api/catalogue/resources/{id}");
        }
    }

    private static async Task<IResult> Get(string id, HttpContext http, IGrainFactory grains)
    {
        if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
        var outcome = await grains.GetGrain<IResourceGrain>(id).GetAsync(http.User.ToActor());
        if (outcome.IsSuccess && WantsJsonLd(http.Request))
            return Results.Text(DcatExport.Resource(outcome.Value!, BaseUrl(http.Request)).ToJsonString(), JsonLd);
        return ApiResults.Ok(http, outcome);
    }

    private static async Task<IResult> Revise(string id, HttpContext http, IGrainFactory grains)
    {
        if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
        var (expected, badIfMatch) = ApiResults.IfMatch(http.Request);
        if (badIfMatch is not null) return badIfMatch.ToProblem();
        var grain = grains.GetGrain<IResourceGrain>(id);
        var current = await grain.GetAsync(http.User.ToActor());
        if (!current.IsSuccess) return current.Problem!.ToProblem();
        var (document, invalid) = await JsonBody.ReadDocumentAsync(http.Request);
        if (invalid is not null) return invalid.ToProblem();
        using (document)
        {
            if (CatalogueSchemas.ValidateMetadata(JsonNames.Of(current.Value!.Kind), document!.RootElement) is { } schemaErrors) return schemaErrors.ToProblem();
            var (metadata, badBody) = JsonBody.Bind<ResourceMetadata>(document.RootElement);
            if (badBody is not null) return badBody.ToProblem();
            var (context, badHeader) = HttpCommandContext.For(http, expected);
            if (badHeader is not null) return badHeader.ToProblem();
            return ApiResults.Ok(http, await grain.ReviseAsync(MetadataNormaliser.Normalise(metadata!), context!));
        }
    }

    private static async Task<IResult> Release(string id, HttpContext http, IGrainFactory grains, InstitutionSilos silos, string? version, string? notes)
    {
        if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
        CommandContext? context;
        Problem? badHeader;
        if (!FhirMediaTypes.IsFhirJson(http.Request.ContentType))
        {
            // The body before the context, as on every route: an Idempotency-Key's fingerprint covers the body.
            var (release, invalid) = await JsonBody.ReadAsync<VersionRelease>(http.Request);
            if (invalid is not null) return invalid.ToProblem();
            var (expected, badIfMatch) = ApiResults.IfMatch(http.Request);
            if (badIfMatch is not null) return badIfMatch.ToProblem();
            (context, badHeader) = HttpCommandContext.For(http, expected);
            if (badHeader is not null) return badHeader.ToProblem();
            return ApiResults.Ok(http, await grains.GetGrain<IResourceGrain>(id).ReleaseAsync(release!, context!), StatusCodes.Status201Created, $"/api/catalogue/resources/{id}");
        }

        // A dataset version: the FHIR Bundle goes to the dataset's grain on a silo of its institution.
        var resource = await grains.GetGrain<IResourceGrain>(id).GetAsync(http.User.ToActor());
        if (!resource.IsSuccess) return FhirResults.Outcome(resource.Problem!);
        if (string.IsNullOrWhiteSpace(version)) return FhirResults.Outcome(Problem.Invalid("version", "Give the new version as ?version=1.0.0 (and release notes as &notes=...)."));
        // Refused before the body is read (up to 64 MiB) and shipped to the publisher's silo, where the grain would
        // refuse it the same way: not a dataset, not the caller's to change.
        if (resource.Value!.Kind != ResourceKind.Dataset)
            return FhirResults.Outcome(Problem.Invalid("id", $"'{id}' is a {resource.Value.Kind.ToString().ToLowerInvariant()}, not a dataset: a FHIR Bundle is a dataset's version."));
        if (CatalogueAccess.MayChange(http.User.ToActor(), ResourceKind.Dataset, resource.Value.Publisher) is { } forbidden) return FhirResults.Outcome(forbidden);
        // The dataset's grain records the version in the catalogue itself, so there is no version of the entry here to
        // hold an If-Match to (the JSON release of a model's or method's version evaluates it).
        if (http.Request.Headers.ContainsKey("If-Match"))
            return FhirResults.Outcome(Problem.Invalid("If-Match", "A dataset version uploaded as a FHIR Bundle takes no If-Match: send it without (an Idempotency-Key makes the upload safe to repeat)."));
        if (silos.LiveSilosOf(resource.Value.Publisher).Count == 0) return FhirResults.Outcome(NoSiloOf(resource.Value.Publisher));
        http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize = MaxUploadBytes;
        byte[] bundle;
        try
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
            bundle = buffer.ToArray();
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return FhirResults.Outcome(new Problem(ProblemKind.PayloadTooLarge, "Too large", $"A dataset version is at most {MaxUploadBytes / (1024 * 1024)} MiB per upload."));
        }
        // The context after the body, as on every route: an Idempotency-Key's fingerprint covers the bundle.
        HttpCommandContext.RememberBody(http, () => bundle);
        (context, badHeader) = HttpCommandContext.For(http);
        if (badHeader is not null) return FhirResults.Outcome(badHeader);
        var outcome = await Residency(() => grains.GetGrain<IDatasetGrain>(DatasetKeys.For(resource.Value.Publisher, id)).UploadAsync(bundle, version, notes ?? $"Version {version}", context!), resource.Value.Publisher);
        if (!outcome.IsSuccess) return FhirResults.Outcome(outcome.Problem!);
        return ApiResults.Ok(http, outcome, StatusCodes.Status201Created, $"/api/catalogue/resources/{id}");
    }

    private static async Task<IResult> ReadPayload(string id, string version, HttpContext http, IGrainFactory grains, InstitutionSilos silos, string? purpose)
    {
        if (!Ids.IsValid(id)) return FhirResults.Outcome(Problem.Invalid("id", $"'id' is not a valid id: {Ids.Rule}."));
        if (version.Length > 64) return FhirResults.Outcome(Problem.Invalid("version", "Not a version."));
        // The purpose is recorded with the read or its refusal, and matched against grants: a code (an EHDS Art. 53
        // purpose such as scientific-research, or an institution's own, such as quality-check), not any text.
        if (purpose is not null && !Ids.IsValid(purpose))
            return FhirResults.Outcome(Problem.Invalid("purpose", $"'purpose' is a code such as scientific-research or quality-check ({Ids.Rule})."));
        var (context, badHeader) = HttpCommandContext.For(http);
        if (badHeader is not null) return FhirResults.Outcome(badHeader);
        var resource = await grains.GetGrain<IResourceGrain>(id).GetAsync(context!.Actor);
        if (!resource.IsSuccess) return FhirResults.Outcome(resource.Problem!);
        if (resource.Value!.Kind != ResourceKind.Dataset) return FhirResults.Outcome(Problem.NotFound($"Dataset '{id}'"));
        var owner = resource.Value.Publisher;
        if (silos.LiveSilosOf(owner).Count == 0) return FhirResults.Outcome(NoSiloOf(owner));
        var outcome = await Residency(() => grains.GetGrain<IDatasetGrain>(DatasetKeys.For(owner, id)).ReadAsync(version, context with { Purpose = purpose }), owner);
        return outcome.IsSuccess ? Results.Text(outcome.Value!, FhirMediaTypes.FhirJson) : FhirResults.Outcome(outcome.Problem!);
    }

    private static Problem NoSiloOf(string institution) =>
        Problem.Unavailable($"Institution '{institution}' has no live silo. Its datasets stay at home: their payloads are out of reach until one of its silos is back.");

    /// <summary>A residency-filtered placement that finds no silo (the owner's last silo just left) is a 503 too, never a 500.</summary>
    private static async Task<Outcome<T>> Residency<T>(Func<Task<Outcome<T>>> call, string institution)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is OrleansException or SiloUnavailableException or TimeoutException)
        {
            return NoSiloOf(institution);
        }
    }

    private static Task<IResult> Publish(string id, HttpContext http, IGrainFactory grains) =>
        Command(id, http, grains, (g, c) => g.PublishAsync(c));

    private static async Task<IResult> Deprecate(string id, HttpContext http, IGrainFactory grains)
    {
        var (body, invalid) = await JsonBody.ReadAsync<ReasonRequest>(http.Request);
        return invalid is not null ? invalid.ToProblem() : await Command(id, http, grains, (g, c) => g.DeprecateAsync(body!.Reason, c));
    }

    private static async Task<IResult> Withdraw(string id, HttpContext http, IGrainFactory grains)
    {
        var (body, invalid) = await JsonBody.ReadAsync<ReasonRequest>(http.Request);
        return invalid is not null ? invalid.ToProblem() : await Command(id, http, grains, (g, c) => g.WithdrawAsync(body!.Reason, c));
    }

    private static async Task<IResult> RecordCredibility(string id, string version, HttpContext http, IGrainFactory grains)
    {
        var (body, invalid) = await JsonBody.ReadAsync<CredibilityRecord>(http.Request);
        if (invalid is not null) return invalid.ToProblem();
        if (body!.Header is null || body.Factors is null) return Problem.Invalid("header", "'header' and 'factors' are required.").ToProblem();
        var record = body with { Factors = body.Factors.Select(f => f with { Evidence = f.Evidence ?? [] }).ToArray() };
        return await Command(id, http, grains, (g, c) => g.RecordCredibilityAsync(version, record, c));
    }

    private static async Task<IResult> Command(string id, HttpContext http, IGrainFactory grains, Func<IResourceGrain, CommandContext, Task<Outcome<ResourceView>>> command)
    {
        if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
        var (expected, badIfMatch) = ApiResults.IfMatch(http.Request);
        if (badIfMatch is not null) return badIfMatch.ToProblem();
        var (context, badHeader) = HttpCommandContext.For(http, expected);
        if (badHeader is not null) return badHeader.ToProblem();
        return ApiResults.Ok(http, await command(grains.GetGrain<IResourceGrain>(id), context!));
    }

    private static async Task<IResult> History(string id, HttpContext http, IGrainFactory grains, EventLog log)
    {
        if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
        var visible = await grains.GetGrain<IResourceGrain>(id).GetAsync(http.User.ToActor());
        if (!visible.IsSuccess) return visible.Problem!.ToProblem();
        return TypedResults.Json(await log.ReadStoredAsync(Domain.Catalogue.CatalogueEventTypes.StreamOf(id), ct: http.RequestAborted), JsonDefaults.Options);
    }

    private static async Task<IResult> Export(HttpContext http, CatalogueSearch search)
    {
        var entries = new List<CatalogueEntryDocument>();
        string? cursor = null;
        do
        {
            var page = await search.SearchAsync(new CatalogueQuery(Sort: CatalogueSort.Title, Limit: CatalogueSearch.MaxPageSize, Cursor: cursor), http.User.ToActor(), http.RequestAborted);
            entries.AddRange(page.Items.Select(i => i.Entry));
            cursor = page.NextCursor;
        }
        while (cursor is not null && entries.Count < 100_000);
        return Results.Text(DcatExport.Catalog(entries, BaseUrl(http.Request)).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), JsonLd);
    }
}
