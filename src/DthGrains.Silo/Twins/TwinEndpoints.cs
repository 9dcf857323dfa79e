using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Twins;
using DthGrains.Domain.Twins;
using DthGrains.Fhir.Outcomes;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Twins;
using DthGrains.Silo.Catalogue;
using DthGrains.Silo.Identity;
using DthGrains.Silo.Platform;
using Marten;

namespace DthGrains.Silo.Twins;

/// <summary>A reason for retiring a twin.</summary>
public sealed record TwinReason(string Reason);

public sealed record TwinPage(IReadOnlyList<TwinDocument> Items, int Total);

/// <summary>Digital twins: design, link patient data under a grant, calibrate, validate, test scenarios, activate, retire, export as FHIR.</summary>
public static class TwinEndpoints
{
    private const int MaxPage = 100;

    public static IEndpointRouteBuilder MapTwinEndpoints(this IEndpointRouteBuilder app)
    {
        // Grouped at /api so that the collection route is "/api/twins" itself, not "/api/twins/".
        var group = app.MapGroup("/api").WithTags("Twins");
        static RouteHandlerBuilder Builders(RouteHandlerBuilder b) => b.RequireAuthorization(p => p.RequireRole(Roles.Researcher, Roles.Modeller));
        // A twin's commands guard with If-Match (its creation is named by the server and guarded by an Idempotency-Key).
        static RouteHandlerBuilder Command(RouteHandlerBuilder b) => Builders(b).TakesIfMatch();
        Builders(group.MapPost("/twins", Create).WithName("CreateTwin").WithMetadata(IdempotentCreation.Instance).WithSummary("Design a twin: model version, context of use, acceptance criteria, purpose")
            .Accepts<TwinDesign>("application/json").Produces<TwinView>(201).ProducesProblem(400).ProducesProblem(422));
        Command(group.MapPost("/twins/{id}/link", Link).WithName("LinkTwinData")
            .WithSummary("Link one dataset subject's data (pseudonym) under a live grant with action simulate; the read or refusal is recorded")
            .Accepts<TwinDataLink>("application/json").Produces<TwinView>().ProducesProblem(400).ProducesProblem(403).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422));
        Command(group.MapPost("/twins/{id}/calibrate", Calibrate).WithName("CalibrateTwin").WithSummary("Fit the personal parameters to all but the last day of the data")
            .Produces<TwinView>().ProducesProblem(403).ProducesProblem(409).ProducesProblem(422));
        Command(group.MapPost("/twins/{id}/validate", Validate).WithName("ValidateTwin").WithSummary("Compare predictions with the held-out day against the acceptance criteria")
            .Produces<TwinView>().ProducesProblem(403).ProducesProblem(409).ProducesProblem(422));
        Command(group.MapPost("/twins/{id}/scenarios", Test).WithName("TestTwinScenario").WithSummary("Run a what-if meal plan or dose regimen on a validated twin")
            .Accepts<TwinScenario>("application/json").Produces<TwinView>().ProducesProblem(400).ProducesProblem(409));
        Command(group.MapPost("/twins/{id}/activate", Activate).WithName("ActivateTwin").WithSummary("Activate a validated, passing, fresh twin")
            .Produces<TwinView>().ProducesProblem(409));
        Command(group.MapPost("/twins/{id}/retire", Retire).WithName("RetireTwin").WithSummary("Retire the twin, with a reason")
            .Accepts<TwinReason>("application/json").Produces<TwinView>().ProducesProblem(400).ProducesProblem(409));
        group.MapGet("/twins", List).WithName("ListTwins").WithSummary("Your twins; every twin for auditors and platform admins").Produces<TwinPage>().ProducesProblem(400);
        group.MapGet("/twins/{id}", Get).WithName("GetTwin").WithSummary("A twin with its lineage fields and living credibility record; the ETag is its version")
            .Produces<TwinView>().ProducesProblem(404);
        group.MapGet("/twins/{id}/history", History).WithName("GetTwinHistory").WithSummary("The twin's events with their envelopes").Produces<IReadOnlyList<StoredEvent>>().ProducesProblem(404);
        group.MapGet("/twins/{id}/fhir", Export).WithName("ExportTwinFhir")
            .WithSummary("A scenario's predictions as a FHIR R4 Bundle: Observations (method: model prediction), a DiagnosticReport and a Provenance")
            .Produces<string>(200, FhirMediaTypes.FhirJson).Produces<string>(404, FhirMediaTypes.FhirJson);
        return app;
    }

    private static async Task<IResult> Create(HttpContext http, IGrainFactory grains)
    {
        var (design, invalid) = await JsonBody.ReadAsync<TwinDesign>(http.Request);
        if (invalid is not null) return invalid.ToProblem();
        var (context, badHeader) = HttpCommandContext.For(http);
        if (badHeader is not null) return badHeader.ToProblem();
        var id = HttpCommandContext.CreatedId(context!, "twins");
        return ApiResults.Ok(http, await grains.GetGrain<ITwinGrain>(id).DesignAsync(design!, context!), StatusCodes.Status201Created, $"/api/twins/{id}");
    }

    private static async Task<IResult> Link(string id, HttpContext http, IGrainFactory grains)
    {
        var (link, invalid) = await JsonBody.ReadAsync<TwinDataLink>(http.Request);
        return invalid is not null ? invalid.ToProblem() : await Command(id, http, grains, (g, c) => g.LinkDataAsync(link!, c));
    }

    private static Task<IResult> Calibrate(string id, HttpContext http, IGrainFactory grains) => Command(id, http, grains, (g, c) => g.CalibrateAsync(c));

    private static Task<IResult> Validate(string id, HttpContext http, IGrainFactory grains) => Command(id, http, grains, (g, c) => g.ValidateAsync(c));

    private static Task<IResult> Activate(string id, HttpContext http, IGrainFactory grains) => Command(id, http, grains, (g, c) => g.ActivateAsync(c));

    private static async Task<IResult> Test(string id, HttpContext http, IGrainFactory grains)
    {
        var (scenario, invalid) = await JsonBody.ReadAsync<TwinScenario>(http.Request);
        if (invalid is not null) return invalid.ToProblem();
        return await Command(id, http, grains, (g, c) => g.TestScenarioAsync(scenario! with { Meals = scenario.Meals ?? [] }, c));
    }

    private static async Task<IResult> Retire(string id, HttpContext http, IGrainFactory grains)
    {
        var (body, invalid) = await JsonBody.ReadAsync<TwinReason>(http.Request);
        return invalid is not null ? invalid.ToProblem() : await Command(id, http, grains, (g, c) => g.RetireAsync(body!.Reason, c));
    }

    /// <summary>Commands take If-Match when given (412 on a stale version) and Idempotency-Key.</summary>
    private static async Task<IResult> Command(string id, HttpContext http, IGrainFactory grains, Func<ITwinGrain, CommandContext, Task<Outcome<TwinView>>> command)
    {
        if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
        var (expected, badIfMatch) = ApiResults.IfMatch(http.Request);
        if (badIfMatch is not null) return badIfMatch.ToProblem();
        var (context, badHeader) = HttpCommandContext.For(http, expected);
        return badHeader is not null ? badHeader.ToProblem() : ApiResults.Ok(http, await command(grains.GetGrain<ITwinGrain>(id), context!));
    }

    private static async Task<IResult> Get(string id, HttpContext http, IGrainFactory grains) =>
        !Ids.IsValid(id) ? ApiResults.InvalidId("id") : ApiResults.Ok(http, await grains.GetGrain<ITwinGrain>(id).GetAsync(http.User.ToActor()));

    private static async Task<IResult> List(HttpContext http, IDocumentStore store, string? status, int? offset, int? limit)
    {
        if (offset is < 0 || limit is < 1 or > MaxPage) return Problem.Invalid("limit", $"'offset' is 0 or more and 'limit' 1 to {MaxPage}.").ToProblem();
        TwinStatus? wanted = null;
        if (status is not null)
        {
            if (!Domain.Governance.AccessPolicy.TryParse<TwinStatus>(status, out var s))
                return Problem.Invalid("status", "'status' is designed, data-linked, calibrated, validated, active, stale or retired.").ToProblem();
            wanted = s;
        }
        var actor = http.User.ToActor();
        await using var session = store.QuerySession();
        var query = session.Query<TwinDocument>().AsQueryable();
        if (!actor.HasRole(Roles.Auditor) && !actor.HasRole(Roles.PlatformAdmin))
        {
            var subject = actor.Subject;
            query = query.Where(t => t.Owner == subject);
        }
        if (wanted is { } w) query = query.Where(t => t.Status == w);
        var total = await query.CountAsync(http.RequestAborted);
        var items = await query.OrderByDescending(t => t.UpdatedAt).ThenBy(t => t.Id).Skip(offset ?? 0).Take(limit ?? 50).ToListAsync(http.RequestAborted);
        return TypedResults.Json(new TwinPage(items, total), JsonDefaults.Options);
    }

    private static async Task<IResult> History(string id, HttpContext http, IGrainFactory grains, EventLog log)
    {
        if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
        var visible = await grains.GetGrain<ITwinGrain>(id).GetAsync(http.User.ToActor());
        if (!visible.IsSuccess) return visible.Problem!.ToProblem();
        return TypedResults.Json(await log.ReadStoredAsync(TwinEventTypes.StreamOf(id), ct: http.RequestAborted), JsonDefaults.Options);
    }

    private static async Task<IResult> Export(string id, HttpContext http, IGrainFactory grains, string? scenario)
    {
        if (!Ids.IsValid(id)) return FhirResults.Outcome(Problem.Invalid("id", $"'id' is not a valid id: {Ids.Rule}."));
        if (scenario is not null && (scenario.Length > 64 || !scenario.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
            return FhirResults.Outcome(Problem.Invalid("scenario", "'scenario' is a scenario id such as sc-0123456789abcdef."));
        var outcome = await grains.GetGrain<ITwinGrain>(id).ExportFhirAsync(http.User.ToActor(), scenario);
        if (!outcome.IsSuccess) return FhirResults.Outcome(outcome.Problem!);
        http.Response.Headers.ETag = ApiResults.ETag(outcome.Version);
        return Results.Text(outcome.Value!, FhirMediaTypes.FhirJson);
    }
}
