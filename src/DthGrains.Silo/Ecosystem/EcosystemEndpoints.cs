using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Grains.Ecosystem;
using DthGrains.Grains.Platform;
using DthGrains.Silo.Identity;
using DthGrains.Silo.Platform;
using Marten;

namespace DthGrains.Silo.Ecosystem;

/// <summary>The ecosystem map's HTTP API: organisations, people, initiatives, relations, the graph and each entity's history.</summary>
public static class EcosystemEndpoints
{
    public static IEndpointRouteBuilder MapEcosystemEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/ecosystem").WithTags("Ecosystem");

        group.MapNodeRoutes(new NodeRoutes<RegisterOrganisationRequest, OrganisationDetails, IOrganisationGrain>(
            "organisations", NodeKind.Organisation,
            r => r.Details, r => r.Id, r => r.Name,
            (actor, details, id, _) => EcosystemAccess.MayWriteOrganisation(actor, id),
            (g, d, c) => g.RegisterAsync(d, c), (g, d, c) => g.UpdateAsync(d, c)));

        group.MapNodeRoutes(new NodeRoutes<RegisterPersonRequest, PersonDetails, IPersonGrain>(
            "people", NodeKind.Person,
            r => r.Details, r => r.Id, r => r.Name,
            (actor, details, _, current) => EcosystemAccess.MayWritePerson(actor, details.Affiliation)
                                            ?? (current?.Person is { } p ? EcosystemAccess.MayWritePerson(actor, p.Affiliation) : null),
            (g, d, c) => g.RegisterAsync(d, c), (g, d, c) => g.UpdateAsync(d, c)));

        group.MapNodeRoutes(new NodeRoutes<RegisterInitiativeRequest, InitiativeDetails, IInitiativeGrain>(
            "initiatives", NodeKind.Initiative,
            r => r.Details, r => r.Id, r => r.Name,
            (actor, _, _, _) => EcosystemAccess.MayWriteInitiative(actor),
            (g, d, c) => g.RegisterAsync(d, c), (g, d, c) => g.UpdateAsync(d, c)));

        group.MapPost("/relations", AddRelation).WithName("AddRelation").TakesIfMatch().WithSummary("Add a relation between two nodes")
            .Accepts<RelationRequest>("application/json").Produces<EcosystemNode>().ProducesProblem(400).ProducesProblem(403).ProducesProblem(404)
            .RequireAuthorization(IdentitySetup.Writers);
        group.MapDelete("/relations", RemoveRelation).WithName("RemoveRelation").TakesIfMatch().WithSummary("Remove a relation (?from=kind:id&kind=...&to=kind:id)")
            .Produces<EcosystemNode>().ProducesProblem(400).ProducesProblem(403).ProducesProblem(404)
            .RequireAuthorization(IdentitySetup.Writers);
        group.MapGet("/graph", EcosystemGraphEndpoint.GetGraph).WithName("GetEcosystemGraph")
            .WithSummary("The ecosystem map: JSON, or GraphML with Accept: application/graphml+xml")
            .Produces<EcosystemGraph>().Produces(200, contentType: "application/graphml+xml");
        return app;
    }

    private static async Task<IResult> AddRelation(HttpContext http, IGrainFactory grains, IDocumentStore store)
    {
        var (body, invalid) = await JsonBody.ReadAsync<RelationRequest>(http.Request);
        if (invalid is not null) return invalid.ToProblem();
        return await ChangeRelation(http, grains, store, body!.From, body.Kind, body.To, add: true);
    }

    private static Task<IResult> RemoveRelation(HttpContext http, IGrainFactory grains, IDocumentStore store, string? from, string? kind, string? to)
    {
        var parsedKind = kind switch
        {
            "member-of" => RelationKind.MemberOf,
            "partner-of" => RelationKind.PartnerOf,
            "funds" => RelationKind.Funds,
            "participates-in" => RelationKind.ParticipatesIn,
            "hosts-silo" => RelationKind.HostsSilo,
            _ => (RelationKind?)null,
        };
        if (parsedKind is null)
            return Task.FromResult<IResult>(Problem.Invalid("kind", "'kind' must be member-of, partner-of, funds or participates-in.").ToProblem());
        return ChangeRelation(http, grains, store, from, parsedKind.Value, to, add: false);
    }

    private static async Task<IResult> ChangeRelation(HttpContext http, IGrainFactory grains, IDocumentStore store, string? from, RelationKind kind, string? to, bool add)
    {
        if (!NodeRef.TryParse(from, out var source)) return Problem.Invalid("from", $"'from' must be kind:id with kind organisation, person or initiative, and {Ids.Rule}.").ToProblem();
        if (!NodeRef.TryParse(to, out var target)) return Problem.Invalid("to", $"'to' must be kind:id with kind organisation, person or initiative, and {Ids.Rule}.").ToProblem();
        // If-Match names the version of the node the relation is added to or removed from (the one answered).
        var (expected, badIfMatch) = ApiResults.IfMatch(http.Request);
        if (badIfMatch is not null) return badIfMatch.ToProblem();
        var (context, badHeader) = HttpCommandContext.For(http, expected);
        if (badHeader is not null) return badHeader.ToProblem();
        await using (var session = store.QuerySession())
        {
            if (await EcosystemAccess.MayRelateFrom(context!.Actor, source, session, http.RequestAborted) is { } forbidden) return forbidden.ToProblem();
        }
        var grain = NodeGrains.For(grains, source);
        var outcome = add ? await grain.RelateAsync(kind, target, context) : await grain.UnrelateAsync(kind, target, context);
        return ApiResults.Ok(http, outcome);
    }
}

/// <summary>Resolves the grain that owns a node.</summary>
public static class NodeGrains
{
    public static IEcosystemNodeGrain For(IGrainFactory grains, NodeRef node) => node.Kind switch
    {
        NodeKind.Organisation => grains.GetGrain<IOrganisationGrain>(node.Id),
        NodeKind.Person => grains.GetGrain<IPersonGrain>(node.Id),
        NodeKind.Initiative => grains.GetGrain<IInitiativeGrain>(node.Id),
        _ => throw new ArgumentOutOfRangeException(nameof(node), $"{node.Kind} nodes have no grain."),
    };
}
