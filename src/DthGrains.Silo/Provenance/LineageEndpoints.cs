using System.Globalization;
using System.Text.RegularExpressions;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Provenance;
using DthGrains.Fhir.Audit;
using DthGrains.Fhir.Outcomes;
using DthGrains.Grains.Provenance;
using DthGrains.Silo.Catalogue;
using DthGrains.Silo.Platform;

namespace DthGrains.Silo.Provenance;

/// <summary>
/// The auditor's lineage and accountability views, all read from the ledger: the lineage of any entity (as a graph,
/// as W3C PROV-JSON, as a FHIR R4 Bundle of AuditEvent and Provenance), the decision context of every decision on an
/// access application, a data subject's access log (EHDS Art. 9), and the lineage store's check against the ledger.
/// </summary>
public static partial class LineageEndpoints
{
    public const int DefaultDepth = 4;

    /// <summary>Retry-After while the lineage store reads a long ledger: a query reads a budget's worth too, so retries help.</summary>
    private const string RetryWhileCatchingUp = "5";

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._@:/-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex EntityPattern();

    public static IEndpointRouteBuilder MapLineageEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit").WithTags("Audit").RequireAuthorization(LedgerSetup.Readers);

        group.MapGet("/lineage", Graph).WithName("GetLineage")
            .WithSummary("What an entity used and what used it, from the ledger: nodes, PROV edges (each naming its event) and the events (?entity=access-request:r1&depth=4)")
            .Produces<Lineage>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(503);
        group.MapGet("/lineage/prov", Prov).WithName("GetLineageProvJson")
            .WithSummary("The lineage as W3C PROV-JSON")
            .Produces(200, contentType: "application/json").ProducesProblem(400).ProducesProblem(404).ProducesProblem(503);
        group.MapGet("/lineage/fhir", Fhir).WithName("GetLineageFhirBundle")
            .WithSummary("The lineage as a FHIR R4 Bundle of AuditEvent (IHE BALP shape) and Provenance; errors are OperationOutcomes")
            .Produces(200, contentType: FhirMediaTypes.FhirJson).Produces(400, contentType: FhirMediaTypes.FhirJson).Produces(404, contentType: FhirMediaTypes.FhirJson)
            .Produces(503, contentType: FhirMediaTypes.FhirJson);
        group.MapGet("/lineage/verify", async (LineageService lineage, TimeProvider time, HttpContext http) =>
                TypedResults.Json(await lineage.VerifyAsync(time, http.RequestAborted), JsonDefaults.Options))
            .WithName("VerifyLineage")
            .WithSummary("The lineage store checked against the ledger: every node and edge read again from the events and compared (ok, the counts, the first differences)")
            .Produces<LineageVerification>();
        group.MapGet("/access-requests/{id}/decisions", Decisions).WithName("GetDecisionContexts")
            .WithSummary("Every decision on an access application with what the steward saw (application version, dataset metadata versions, policy in force), checked against the ledger")
            .Produces<IReadOnlyList<AuditedDecision>>().ProducesProblem(400).ProducesProblem(404);
        group.MapGet("/subjects/{pseudonym}/accesses", SubjectLog).WithName("GetSubjectAccessLog")
            .WithSummary("The data-subject access log (EHDS Art. 9): every read of and refused read of a pseudonymised subject's data, with who, when, which data and purpose")
            .Produces<IReadOnlyList<SubjectAccess>>().ProducesProblem(400);
        return app;
    }

    private static async Task<IResult> Graph(LineageService lineage, HttpContext http, string? entity, string? depth)
    {
        var (found, problem) = await LineageOf(lineage, http, entity, depth);
        return problem is not null ? problem.ToProblem() : TypedResults.Json(found, JsonDefaults.Options);
    }

    private static async Task<IResult> Prov(LineageService lineage, HttpContext http, string? entity, string? depth)
    {
        var (found, problem) = await LineageOf(lineage, http, entity, depth);
        return problem is not null ? problem.ToProblem() : Results.Text(ProvJson.From(found!.Graph).ToJsonString(), "application/json");
    }

    private static async Task<IResult> Fhir(LineageService lineage, TimeProvider time, HttpContext http, string? entity, string? depth)
    {
        var (found, problem) = await LineageOf(lineage, http, entity, depth);
        if (problem is not null) return FhirResults.Outcome(problem);
        return Results.Text(FhirLineageBundle.Json(found!, time.GetUtcNow()), FhirMediaTypes.FhirJson);
    }

    private static async Task<(Lineage? Lineage, Problem? Problem)> LineageOf(LineageService lineage, HttpContext http, string? entity, string? depth)
    {
        if (string.IsNullOrEmpty(entity) || entity.Length > 300 || !EntityPattern().IsMatch(entity))
            return (null, Problem.Invalid("entity", "Name the entity: a stream key such as access-request:r1 or resource:hovorka-2004, a version such as resource:hovorka-2004@1.0.0, or grant:grant-r1."));
        var levels = DefaultDepth;
        if (depth is not null && (!int.TryParse(depth, NumberStyles.None, CultureInfo.InvariantCulture, out levels) || levels < 1 || levels > LineageGraph.MaxDepth))
            return (null, Problem.Invalid("depth", $"'depth' must be a whole number from 1 to {LineageGraph.MaxDepth}."));
        Lineage? found;
        try
        {
            found = await lineage.LineageAsync(entity, levels, http.RequestAborted);
        }
        catch (LineageCatchingUpException behind)
        {
            http.Response.Headers.RetryAfter = RetryWhileCatchingUp;
            return (null, Problem.Unavailable(behind.Message));
        }
        return found is null ? (null, await NotFoundAsync(lineage, entity, http.RequestAborted)) : (found, null);
    }

    /// <summary>An id given without its kind (a run's id, as 'dth run list' shows it) is not found: the answer names the entity to ask for.</summary>
    private static async Task<Problem> NotFoundAsync(LineageService lineage, string entity, CancellationToken ct)
    {
        var named = entity.Contains(':', StringComparison.Ordinal) ? [] : await lineage.NamedAsync(entity, ct);
        var kinds = string.Join(", ", LineageService.NamedKinds.Select(kind => $"{kind}:<id>"));
        var detail = named.Count switch
        {
            0 when !entity.Contains(':', StringComparison.Ordinal) =>
                $"Entity '{entity}' in the ledger's lineage does not exist. Name an entity with its kind: {kinds}.",
            0 => $"Entity '{entity}' in the ledger's lineage does not exist.",
            _ => $"Entity '{entity}' in the ledger's lineage does not exist: name it with its kind, as {string.Join(" or ", named.Select(n => $"'{n}'"))}.",
        };
        return new Problem(ProblemKind.NotFound, "Not found", detail);
    }

    private static async Task<IResult> Decisions(DecisionContexts contexts, HttpContext http, string id)
    {
        if (!Ids.IsValid(id)) return Problem.Invalid("id", $"'id' is an access request id ({Ids.Rule}).").ToProblem();
        var decisions = await contexts.ForRequestAsync(id, http.RequestAborted);
        return decisions is null ? Problem.NotFound($"Access request '{id}'").ToProblem() : TypedResults.Json(decisions, JsonDefaults.Options);
    }

    /// <summary>
    /// A page of the log, oldest first; <c>Link: rel="next"</c> names the next page (<c>?after=</c> the last entry's
    /// sequence) while there is one. A subject with more uses than a page used to see only the oldest, with no sign
    /// that the newest were left out.
    /// </summary>
    private static async Task<IResult> SubjectLog(SubjectAccessLog log, HttpContext http, string pseudonym, string? dataset, string? limit, string? after)
    {
        if (!Ids.IsFhirId(pseudonym))
            return Problem.Invalid("pseudonym", "'pseudonym' is the subject's pseudonym in the dataset (a FHIR id: letters, digits, '-' and '.', at most 64).").ToProblem();
        if (dataset is not null && !Ids.IsValid(dataset)) return Problem.Invalid("dataset", $"'dataset' is a dataset id ({Ids.Rule}).").ToProblem();
        var max = 1000;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max < 1 || max > 10_000))
            return Problem.Invalid("limit", "'limit' must be a whole number from 1 to 10000.").ToProblem();
        var from = 0L;
        if (after is not null && (!long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out from)))
            return Problem.Invalid("after", "'after' is the sequence of the last entry seen (a whole number of 0 or more), as the next page's link gives it.").ToProblem();
        var page = await log.ForSubjectAsync(pseudonym, dataset, max + 1, from, http.RequestAborted);
        if (page.Count > max)
        {
            page = page.Take(max).ToList();
            var query = $"after={page[^1].Sequence}&limit={max}" + (dataset is null ? "" : $"&dataset={Uri.EscapeDataString(dataset)}");
            ApiResults.NextPage(http, $"/api/audit/subjects/{Uri.EscapeDataString(pseudonym)}/accesses?{query}");
        }
        return TypedResults.Json(page, JsonDefaults.Options);
    }
}
