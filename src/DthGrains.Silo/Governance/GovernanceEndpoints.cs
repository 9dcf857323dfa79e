using DthGrains.Contracts.Governance;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Governance;
using DthGrains.Grains.Governance;
using DthGrains.Grains.Platform;
using DthGrains.Silo.Identity;
using DthGrains.Silo.Platform;
using Marten;

namespace DthGrains.Silo.Governance;

/// <summary>A reason for returning, revoking or closing.</summary>
public sealed record GovernanceReason(string Reason);

public sealed record AccessPage<T>(IReadOnlyList<T> Items, int Total);

/// <summary>Access applications, steward decisions, grants: EHDS Art. 67-69.</summary>
public static class GovernanceEndpoints
{
    private const int MaxPage = 100;

    public static IEndpointRouteBuilder MapGovernanceEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/access").WithTags("Governance");
        group.MapPost("/requests", Submit).WithName("SubmitAccessRequest").WithMetadata(IdempotentCreation.Instance).WithSummary("Apply for access to datasets for a declared EHDS purpose")
            .Accepts<AccessApplication>("application/json").Produces<AccessRequestView>(201).ProducesProblem(400).ProducesProblem(403)
            .RequireAuthorization(IdentitySetup.Researchers);
        group.MapPut("/requests/{id}", Resubmit).WithName("ResubmitAccessRequest").WithSummary("Resubmit an application returned for changes").TakesIfMatch()
            .Accepts<AccessApplication>("application/json").Produces<AccessRequestView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409)
            .RequireAuthorization(IdentitySetup.Researchers);
        group.MapGet("/requests", List).WithName("ListAccessRequests")
            .WithSummary("Your applications (researchers); with ?pending=true the steward inbox of your institution; everything for auditors")
            .Produces<AccessPage<AccessRequestDocument>>().ProducesProblem(400);
        group.MapGet("/requests/{id}", Get).WithName("GetAccessRequest").WithSummary("An application with its reviews and grant; the ETag is its version")
            .Produces<AccessRequestView>().ProducesProblem(404);
        group.MapPost("/requests/{id}/decision", Decide).WithName("DecideAccessRequest").TakesIfMatch(required: true)
            .WithSummary("Approve (with conditions) or refuse your institution's part, with a reason. Requires If-Match.")
            .Accepts<StewardDecision>("application/json").Produces<AccessRequestView>().ProducesProblem(400).ProducesProblem(403).ProducesProblem(409).ProducesProblem(412).ProducesProblem(428)
            .RequireAuthorization(IdentitySetup.Stewards);
        group.MapPost("/requests/{id}/return", Return).WithName("ReturnAccessRequest").TakesIfMatch(required: true).WithSummary("Return the application for changes. Requires If-Match.")
            .Accepts<GovernanceReason>("application/json").Produces<AccessRequestView>().ProducesProblem(409).ProducesProblem(428).RequireAuthorization(IdentitySetup.Stewards);
        group.MapPost("/requests/{id}/revoke", Revoke).WithName("RevokeAccessGrant").TakesIfMatch(required: true).WithSummary("Revoke the grant, effective immediately. Requires If-Match.")
            .Accepts<GovernanceReason>("application/json").Produces<AccessRequestView>().ProducesProblem(409).ProducesProblem(428).RequireAuthorization(IdentitySetup.Stewards);
        group.MapPost("/requests/{id}/close", Close).WithName("CloseAccessRequest").TakesIfMatch().WithSummary("The applicant closes the application or ends the grant")
            .Accepts<GovernanceReason>("application/json").Produces<AccessRequestView>().ProducesProblem(403).ProducesProblem(409).RequireAuthorization(IdentitySetup.Researchers);
        group.MapGet("/requests/{id}/history", History).WithName("GetAccessRequestHistory").WithSummary("The application's events with their envelopes")
            .Produces<IReadOnlyList<StoredEvent>>().ProducesProblem(404);
        group.MapGet("/grants", Grants).WithName("ListGrants").WithSummary("Grants you hold (researchers) or that cover your institution's datasets (stewards), newest first, a page at a time (?offset=, ?limit= up to 500; Link: rel=\"next\")")
            .Produces<IReadOnlyList<GrantDocument>>();
        return app;
    }

    private static async Task<IResult> Submit(HttpContext http, IGrainFactory grains)
    {
        var (application, invalid) = await JsonBody.ReadAsync<AccessApplication>(http.Request);
        if (invalid is not null) return invalid.ToProblem();
        var (context, badHeader) = HttpCommandContext.For(http);
        if (badHeader is not null) return badHeader.ToProblem();
        var id = HttpCommandContext.CreatedId(context!, "access-requests");
        var outcome = await grains.GetGrain<IAccessRequestGrain>(id).SubmitAsync(Normalise(application!), context!);
        return ApiResults.Ok(http, outcome, StatusCodes.Status201Created, $"/api/access/requests/{id}");
    }

    private static async Task<IResult> Resubmit(string id, HttpContext http, IGrainFactory grains)
    {
        if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
        var (application, invalid) = await JsonBody.ReadAsync<AccessApplication>(http.Request);
        if (invalid is not null) return invalid.ToProblem();
        var (expected, badIfMatch) = ApiResults.IfMatch(http.Request);
        if (badIfMatch is not null) return badIfMatch.ToProblem();
        var (context, badHeader) = HttpCommandContext.For(http, expected);
        if (badHeader is not null) return badHeader.ToProblem();
        return ApiResults.Ok(http, await grains.GetGrain<IAccessRequestGrain>(id).ResubmitAsync(Normalise(application!), context!));
    }

    private static AccessApplication Normalise(AccessApplication a) => a with { Datasets = a.Datasets ?? [], Actions = a.Actions ?? [], Persons = a.Persons ?? [] };

    private static async Task<IResult> List(HttpContext http, IDocumentStore store, bool? pending, string? status, int? offset, int? limit)
    {
        if (offset is < 0 || limit is < 1 or > MaxPage) return Problem.Invalid("limit", $"'offset' is 0 or more and 'limit' 1 to {MaxPage}.").ToProblem();
        ApplicationStatus? wanted = null;
        if (status is not null)
        {
            if (!AccessPolicy.TryParse<ApplicationStatus>(status, out var s)) return Problem.Invalid("status", "'status' is submitted, returned, under-review, approved, rejected or closed.").ToProblem();
            wanted = s;
        }
        var actor = http.User.ToActor();
        await using var session = store.QuerySession();
        var query = session.Query<AccessRequestDocument>().AsQueryable();
        if (pending == true)
        {
            if (!actor.HasRole(Roles.Steward) || actor.Institution is null) return Problem.Forbidden("The pending inbox is a steward's view of their institution.").ToProblem();
            var institution = actor.Institution;
            query = query.Where(r => r.PendingOwners.Contains(institution));
        }
        else if (!actor.HasRole(Roles.Auditor) && !actor.HasRole(Roles.PlatformAdmin))
        {
            var (subject, institution) = (actor.Subject, actor.Institution ?? "");
            query = actor.HasRole(Roles.Steward)
                ? query.Where(r => r.Applicant == subject || r.Persons.Contains(subject) || r.Owners.Contains(institution))
                : query.Where(r => r.Applicant == subject || r.Persons.Contains(subject));
        }
        if (wanted is { } w) query = query.Where(r => r.Status == w);
        var total = await query.CountAsync(http.RequestAborted);
        var items = await query.OrderByDescending(r => r.SubmittedAt).ThenBy(r => r.Id).Skip(offset ?? 0).Take(limit ?? 50).ToListAsync(http.RequestAborted);
        return TypedResults.Json(new AccessPage<AccessRequestDocument>(items, total), JsonDefaults.Options);
    }

    private static async Task<IResult> Get(string id, HttpContext http, IGrainFactory grains) =>
        !Ids.IsValid(id) ? ApiResults.InvalidId("id") : ApiResults.Ok(http, await grains.GetGrain<IAccessRequestGrain>(id).GetAsync(http.User.ToActor()));

    private static async Task<IResult> Decide(string id, HttpContext http, IGrainFactory grains)
    {
        var (decision, invalid) = await JsonBody.ReadAsync<StewardDecision>(http.Request);
        return invalid is not null ? invalid.ToProblem() : await Guarded(id, http, grains, (g, c) => g.DecideAsync(decision!, c));
    }

    private static async Task<IResult> Return(string id, HttpContext http, IGrainFactory grains)
    {
        var (body, invalid) = await JsonBody.ReadAsync<GovernanceReason>(http.Request);
        return invalid is not null ? invalid.ToProblem() : await Guarded(id, http, grains, (g, c) => g.ReturnAsync(body!.Reason, c));
    }

    private static async Task<IResult> Revoke(string id, HttpContext http, IGrainFactory grains)
    {
        var (body, invalid) = await JsonBody.ReadAsync<GovernanceReason>(http.Request);
        return invalid is not null ? invalid.ToProblem() : await Guarded(id, http, grains, (g, c) => g.RevokeAsync(body!.Reason, c));
    }

    private static async Task<IResult> Close(string id, HttpContext http, IGrainFactory grains)
    {
        var (body, invalid) = await JsonBody.ReadAsync<GovernanceReason>(http.Request);
        if (invalid is not null) return invalid.ToProblem();
        if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
        var (expected, badIfMatch) = ApiResults.IfMatch(http.Request);
        if (badIfMatch is not null) return badIfMatch.ToProblem();
        var (context, badHeader) = HttpCommandContext.For(http, expected);
        return badHeader is not null ? badHeader.ToProblem() : ApiResults.Ok(http, await grains.GetGrain<IAccessRequestGrain>(id).CloseAsync(body!.Reason, context!));
    }

    /// <summary>Steward decisions require If-Match (428 without it): a decision is taken on the version the steward read.</summary>
    private static async Task<IResult> Guarded(string id, HttpContext http, IGrainFactory grains, Func<IAccessRequestGrain, CommandContext, Task<Outcome<AccessRequestView>>> command)
    {
        if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
        var (expected, badIfMatch) = ApiResults.IfMatch(http.Request);
        if (badIfMatch is not null) return badIfMatch.ToProblem();
        if (expected is null)
            return new Problem(ProblemKind.PreconditionRequired, "If-Match required",
                "Decisions are taken on the version you read: send If-Match with the request's ETag (GET it first; * names no version).").ToProblem();
        var (context, badHeader) = HttpCommandContext.For(http, expected);
        return badHeader is not null ? badHeader.ToProblem() : ApiResults.Ok(http, await command(grains.GetGrain<IAccessRequestGrain>(id), context!));
    }

    private static async Task<IResult> History(string id, HttpContext http, IGrainFactory grains, EventLog log)
    {
        if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
        var visible = await grains.GetGrain<IAccessRequestGrain>(id).GetAsync(http.User.ToActor());
        if (!visible.IsSuccess) return visible.Problem!.ToProblem();
        return TypedResults.Json(await log.ReadStoredAsync(GovernanceEventTypes.StreamOf(id), ct: http.RequestAborted), JsonDefaults.Options);
    }

    /// <summary>Grants per page at most (and by default).</summary>
    private const int MaxGrantsPage = 500;

    /// <summary>
    /// Newest first, a page at a time (<c>?offset=&amp;limit=</c>); <c>Link: rel="next"</c> names the next page while there
    /// is one. The list used to stop at 500 with no sign that older grants were left out.
    /// </summary>
    private static async Task<IResult> Grants(HttpContext http, IDocumentStore store, int? offset, int? limit)
    {
        if (offset is < 0 || limit is < 1 or > MaxGrantsPage) return Problem.Invalid("limit", $"'offset' is 0 or more and 'limit' 1 to {MaxGrantsPage}.").ToProblem();
        var (skip, take) = (offset ?? 0, limit ?? MaxGrantsPage);
        var actor = http.User.ToActor();
        var (subject, institution) = (actor.Subject, actor.Institution ?? "");
        await using var session = store.QuerySession();
        var query = session.Query<GrantDocument>().AsQueryable();
        if (!actor.HasRole(Roles.Auditor) && !actor.HasRole(Roles.PlatformAdmin))
            query = actor.HasRole(Roles.Steward) ? query.Where(g => g.Principals.Contains(subject) || g.Owners.Contains(institution)) : query.Where(g => g.Principals.Contains(subject));
        var page = await query.OrderByDescending(g => g.ValidFrom).ThenBy(g => g.Id).Skip(skip).Take(take + 1).ToListAsync(http.RequestAborted);
        if (page.Count > take)
        {
            page = page.Take(take).ToList();
            ApiResults.NextPage(http, $"/api/access/grants?offset={skip + take}&limit={take}");
        }
        return TypedResults.Json(page, JsonDefaults.Options);
    }
}
