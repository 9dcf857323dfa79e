using DthGrains.Grains.Federation;
using DthGrains.Silo.Identity;
using DthGrains.Silo.Platform;

namespace DthGrains.Silo.Federation;

/// <summary><c>/api/cluster</c>: the federation's silos for those who run and oversee them.</summary>
public static class ClusterEndpoints
{
    public static void MapClusterEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/cluster").WithTags("Cluster").RequireAuthorization(IdentitySetup.Operators);
        group.MapGet("/silos", async (ClusterView cluster) => TypedResults.Json(await cluster.SilosAsync(), JsonDefaults.Options))
            .WithName("ListClusterSilos")
            .WithSummary("Every silo the membership knows, live first: institutions, role (hpc or data), status, start, and for live silos CPU, memory, activations, runs and shards")
            .WithDescription("For platform and institution admins and auditors. A silo that stopped or died stays listed (status dead) until the membership forgets it.")
            .Produces<IReadOnlyList<SiloView>>().ProducesProblem(403);
    }
}
