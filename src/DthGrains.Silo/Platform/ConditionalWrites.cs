using DthGrains.Contracts.Platform;
using DthGrains.Silo.Catalogue;

namespace DthGrains.Silo.Platform;

/// <summary>
/// Endpoint metadata: a write that evaluates <c>If-Match</c> against the version of the resource it changes (412 when
/// stale). <see cref="Required"/>: it refuses to act without one (428), as a steward's decision does.
/// </summary>
public sealed class EvaluatesIfMatch
{
    public static readonly EvaluatesIfMatch Optional = new(false);
    public static readonly EvaluatesIfMatch Mandatory = new(true);

    private EvaluatesIfMatch(bool required) => Required = required;

    public bool Required { get; }
}

/// <summary>
/// RFC 9110 has a server evaluate an If-Match it receives before it acts. A write that has no version to compare it
/// with (a creation, a run's cancel, an audit act) used to ignore it, so a client guarding a change with it believed
/// itself protected and was not: such a write now refuses the header (400, naming it) and changes nothing.
/// </summary>
public static class ConditionalWrites
{
    /// <summary>Marks a route that passes its If-Match to the grain it changes.</summary>
    public static RouteHandlerBuilder TakesIfMatch(this RouteHandlerBuilder route, bool required = false) =>
        route.WithMetadata(required ? EvaluatesIfMatch.Mandatory : EvaluatesIfMatch.Optional);

    /// <summary>After authorization: a refused caller is answered 401 or 403 first, as without the header.</summary>
    public static IApplicationBuilder RefuseUnevaluatedIfMatch(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method)
            || !http.Request.Headers.ContainsKey("If-Match")
            || http.GetEndpoint() is not { } endpoint || endpoint.Metadata.GetMetadata<EvaluatesIfMatch>() is not null
            // Routing's own endpoint for a method the path does not take: its 405 comes first.
            || endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { } methods
            || !methods.HttpMethods.Contains(http.Request.Method, StringComparer.OrdinalIgnoreCase))
        {
            await next(http);
            return;
        }
        var problem = Problem.Invalid("If-Match",
            "This request has no version of a resource to compare If-Match with (it creates one, or acts on the ledger), so the condition "
            + "could not be kept: send it without If-Match. To repeat a creation safely, send an Idempotency-Key instead.");
        await (FhirResults.IsFhirRoute(http) ? FhirResults.Outcome(problem) : problem.ToProblem()).ExecuteAsync(http);
    });
}
