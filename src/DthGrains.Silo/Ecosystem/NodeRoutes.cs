using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Grains.Ecosystem;
using DthGrains.Grains.Platform;
using DthGrains.Silo.Identity;
using DthGrains.Silo.Platform;
using Marten;

namespace DthGrains.Silo.Ecosystem;

/// <summary>What differs between the organisation, person and initiative routes; the routes themselves are shared.</summary>
public sealed record NodeRoutes<TRequest, TDetails, TGrain>(
    string Path,
    NodeKind Kind,
    Func<TRequest, TDetails> DetailsOf,
    Func<TRequest, string?> IdOf,
    Func<TRequest, string> NameOf,
    Func<Actor, TDetails, string, EcosystemNodeDocument?, Problem?> Authorize,
    Func<TGrain, TDetails, CommandContext, Task<Outcome<EcosystemNode>>> Register,
    Func<TGrain, TDetails, CommandContext, Task<Outcome<EcosystemNode>>> Update)
    where TRequest : class where TDetails : class where TGrain : IEcosystemNodeGrain;

public static class NodeRouteMapping
{
    private const int MaxPageSize = 200;

    public static void MapNodeRoutes<TRequest, TDetails, TGrain>(this RouteGroupBuilder group, NodeRoutes<TRequest, TDetails, TGrain> r)
        where TRequest : class where TDetails : class where TGrain : IEcosystemNodeGrain
    {
        var kind = NodeRef.KindName(r.Kind);
        var name = char.ToUpperInvariant(kind[0]) + kind[1..];

        group.MapGet($"/{r.Path}", async Task<IResult> (IDocumentStore store, HttpContext http, int? offset, int? limit, string? q) =>
        {
            if (offset is < 0 || limit is < 1 or > MaxPageSize)
                return Problem.Invalid("limit", $"'offset' must be 0 or more and 'limit' between 1 and {MaxPageSize}.").ToProblem();
            await using var session = store.QuerySession();
            var query = session.Query<EcosystemNodeDocument>().Where(d => d.Kind == r.Kind);
            if (!string.IsNullOrWhiteSpace(q)) query = query.Where(d => d.Name.Contains(q, StringComparison.OrdinalIgnoreCase));
            var total = await query.CountAsync(http.RequestAborted);
            var items = await query.OrderBy(d => d.Name).ThenBy(d => d.Id).Skip(offset ?? 0).Take(limit ?? 50).ToListAsync(http.RequestAborted);
            return TypedResults.Json(new Page<EcosystemNodeDocument>(items, total), JsonDefaults.Options);
        }).WithName($"List{name}s").WithSummary($"List {r.Path} (?q=name filter, offset, limit)").Produces<Page<EcosystemNodeDocument>>();

        group.MapPost($"/{r.Path}", async Task<IResult> (HttpContext http, IGrainFactory grains, IDocumentStore store) =>
        {
            var (body, invalid) = await JsonBody.ReadAsync<TRequest>(http.Request);
            if (invalid is not null) return invalid.ToProblem();
            var id = r.IdOf(body!) ?? Ids.Slugify(r.NameOf(body!) ?? "");
            if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
            var details = r.DetailsOf(body!);
            var (context, badHeader) = HttpCommandContext.For(http);
            if (badHeader is not null) return badHeader.ToProblem();
            if (r.Authorize(context!.Actor, details, id, null) is { } forbidden) return forbidden.ToProblem();
            var outcome = await r.Register(grains.GetGrain<TGrain>(id), details, context);
            return ApiResults.Ok(http, outcome, StatusCodes.Status201Created, $"/api/ecosystem/{r.Path}/{id}");
        }).WithName($"Register{name}").WithSummary($"Register a {kind}")
            .Accepts<TRequest>("application/json").Produces<EcosystemNode>(201).ProducesProblem(400).ProducesProblem(403).ProducesProblem(409)
            .RequireAuthorization(IdentitySetup.Writers);

        group.MapGet($"/{r.Path}/{{id}}", async Task<IResult> (string id, HttpContext http, IGrainFactory grains) =>
        {
            if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
            return ApiResults.Ok(http, await grains.GetGrain<TGrain>(id).GetAsync());
        }).WithName($"Get{name}").WithSummary($"Get a {kind} with its relations; the ETag is its stream version")
            .Produces<EcosystemNode>().ProducesProblem(400).ProducesProblem(404);

        group.MapPut($"/{r.Path}/{{id}}", async Task<IResult> (string id, HttpContext http, IGrainFactory grains, IDocumentStore store) =>
        {
            if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
            var (expected, badIfMatch) = ApiResults.IfMatch(http.Request);
            if (badIfMatch is not null) return badIfMatch.ToProblem();
            var (details, invalid) = await JsonBody.ReadAsync<TDetails>(http.Request);
            if (invalid is not null) return invalid.ToProblem();
            var (context, badHeader) = HttpCommandContext.For(http, expected);
            if (badHeader is not null) return badHeader.ToProblem();
            EcosystemNodeDocument? current;
            await using (var session = store.QuerySession()) current = await session.LoadAsync<EcosystemNodeDocument>(new NodeRef(r.Kind, id).ToString(), http.RequestAborted);
            if (current is null) return Problem.NotFound($"{kind} '{id}'").ToProblem();
            if (r.Authorize(context!.Actor, details!, id, current) is { } forbidden) return forbidden.ToProblem();
            return ApiResults.Ok(http, await r.Update(grains.GetGrain<TGrain>(id), details!, context));
        }).TakesIfMatch().WithName($"Update{name}").WithSummary($"Replace a {kind}'s details; send If-Match with its ETag to guard against lost updates")
            .Accepts<TDetails>("application/json").Produces<EcosystemNode>().ProducesProblem(400).ProducesProblem(403).ProducesProblem(404).ProducesProblem(409).ProducesProblem(412)
            .RequireAuthorization(IdentitySetup.Writers);

        group.MapGet($"/{r.Path}/{{id}}/history", async Task<IResult> (string id, EventLog log, HttpContext http) =>
        {
            if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
            var events = await log.ReadStoredAsync(new NodeRef(r.Kind, id).ToString(), ct: http.RequestAborted);
            return events.Count == 0 ? Problem.NotFound($"{kind} '{id}'").ToProblem() : TypedResults.Json(events, JsonDefaults.Options);
        }).WithName($"Get{name}History").WithSummary($"The {kind}'s events, each with its envelope (actor, correlation, trace, time)")
            .Produces<IReadOnlyList<StoredEvent>>().ProducesProblem(400).ProducesProblem(404);
    }
}
