using System.Globalization;
using System.Text.RegularExpressions;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Provenance;
using DthGrains.Domain.Provenance;
using DthGrains.Grains.Provenance;
using DthGrains.Silo.Platform;

namespace DthGrains.Silo.Provenance;

/// <summary>
/// The audit side of the ledger: checkpoints (take, download), verification (against the latest stored checkpoint or
/// one held outside the system), as-of replay of any stream, and the ledger's public key.
/// </summary>
public static partial class AuditEndpoints
{
    public const string KeyRoute = "/.well-known/dthgrains-ledger-key";

    /// <summary>kind:id, where an id may have parts (a dataset's access log is <c>dataset-access:institution/dataset</c>).</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._@-]*(:[A-Za-z0-9._@-]+(/[A-Za-z0-9._@-]+)*)+$", RegexOptions.CultureInvariant)]
    private static partial Regex StreamKeyPattern();

    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit").WithTags("Audit").RequireAuthorization(LedgerSetup.Readers);

        group.MapPost("/checkpoints", TakeCheckpoint).WithName("TakeLedgerCheckpoint")
            .WithSummary("Take a signed checkpoint now (auditors and platform admins; changes no domain state)")
            .WithMetadata(AuditAct.Instance)
            .Produces<LedgerCheckpoint>(201).ProducesProblem(403).ProducesProblem(503);
        group.MapGet("/checkpoints/latest", (LedgerCheckpoints checkpoints, HttpContext http, bool? heads) => GetCheckpoint(checkpoints, http, 0, heads))
            .WithName("GetLatestLedgerCheckpoint").WithSummary("The latest checkpoint as a small JSON document (?heads=true adds every stream head)")
            .Produces<LedgerCheckpoint>().ProducesProblem(404);
        // No route constraint: a bad number gets a ProblemDetails naming it, not a bare 404.
        group.MapGet("/checkpoints/{number}", (LedgerCheckpoints checkpoints, HttpContext http, string number, bool? heads) =>
                long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
                    ? GetCheckpoint(checkpoints, http, n, heads)
                    : Task.FromResult<IResult>(Problem.Invalid("number", "'number' must be a whole number of 1 or more, or 'latest'.").ToProblem()))
            .WithName("GetLedgerCheckpoint").WithSummary("Checkpoint n as a small JSON document (?heads=true adds every stream head)")
            .Produces<LedgerCheckpoint>().ProducesProblem(400).ProducesProblem(404);
        group.MapGet("/verify", VerifyLatest).WithName("VerifyLedger")
            .WithSummary("Recompute every hash chain and compare with the latest stored checkpoint: OK with counts, or the first broken link")
            .Produces<LedgerVerification>();
        group.MapPost("/verify", VerifyGiven).WithName("VerifyLedgerAgainstCheckpoint")
            .WithSummary("Recompute every hash chain and compare with the checkpoint in the body (one kept outside the system)")
            .WithMetadata(AuditAct.Instance)
            .Accepts<LedgerCheckpoint>("application/json").Produces<LedgerVerification>().ProducesProblem(400).ProducesProblem(422);
        // A catch-all: a stream key with a slash comes as it is, or escaped (%2F, which the server leaves undecoded).
        group.MapGet("/streams/{**streamKey}", Replay).WithName("ReplayStream")
            .WithSummary("A stream's events with envelopes and hashes up to ?version=n or ?asOf=time, and the aggregate's state at that point; "
                + "the events come in pages (?limit=, at most 10000); the first carries the chain's check and the state, and Link: rel=\"next\" gives the next (?version=&after=)")
            .Produces<StreamReplay>().ProducesProblem(400).ProducesProblem(404);

        app.MapGet(KeyRoute, PublicKey).AllowAnonymous().WithTags("Audit").WithName("GetLedgerKey")
            .WithSummary("The ledger's public key (JWK; PEM with Accept: application/x-pem-file), to check checkpoint signatures")
            .Produces<IReadOnlyDictionary<string, string>>(200, "application/jwk+json").Produces(200, contentType: "application/x-pem-file");
        return app;
    }

    private static async Task<IResult> TakeCheckpoint(HttpContext http, IGrainFactory grains)
    {
        var (context, badHeader) = HttpCommandContext.For(http);
        if (badHeader is not null) return badHeader.ToProblem();
        var outcome = await grains.GetGrain<ILedgerCheckpointGrain>(ILedgerCheckpointGrain.Key).TakeAsync(context!);
        return ApiResults.Ok(http, outcome, StatusCodes.Status201Created, $"/api/audit/checkpoints/{outcome.Version}");
    }

    private static async Task<IResult> GetCheckpoint(LedgerCheckpoints checkpoints, HttpContext http, long number, bool? heads)
    {
        var checkpoint = await checkpoints.ReadAsync(number, heads == true, http.RequestAborted);
        if (checkpoint is null) return Problem.NotFound(number == 0 ? "A checkpoint" : $"Checkpoint {number}").ToProblem();
        return TypedResults.Json(checkpoint, JsonDefaults.Options);
    }

    private static async Task<IResult> VerifyLatest(LedgerAudit audit, HttpContext http)
    {
        var (result, refused) = await audit.VerifyAsync(null, http.RequestAborted);
        return refused is not null ? refused.ToProblem() : TypedResults.Json(result, JsonDefaults.Options);
    }

    private static async Task<IResult> VerifyGiven(LedgerAudit audit, HttpContext http)
    {
        var (checkpoint, invalid) = await JsonBody.ReadAsync<LedgerCheckpoint>(http.Request);
        if (invalid is not null) return invalid.ToProblem();
        if (checkpoint!.Format is null || checkpoint.Root is null || checkpoint.KeyId is null || checkpoint.Signature is null)
            return Problem.Invalid("body", "A checkpoint needs 'format', 'number', 'takenAt', 'root', 'streams', 'events', 'maxSequence', 'keyId' and 'signature'.").ToProblem();
        var (result, refused) = await audit.VerifyAsync(checkpoint, http.RequestAborted);
        return refused is not null ? refused.ToProblem() : TypedResults.Json(result, JsonDefaults.Options);
    }

    private static async Task<IResult> Replay(StreamReplayer replayer, HttpContext http, string streamKey, string? version, string? asOf, string? after, string? limit)
    {
        streamKey = streamKey.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        if (streamKey.Length > 256 || !StreamKeyPattern().IsMatch(streamKey))
            return Problem.Invalid("streamKey",
                "'streamKey' must look like kind:id (letters, digits and . _ @ - between colons, an id's parts separated by /, at most 256 characters).").ToProblem();
        long? toVersion = null;
        if (version is not null)
        {
            if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < 1)
                return Problem.Invalid("version", "'version' must be a whole number of 1 or more.").ToProblem();
            toVersion = v;
        }
        DateTimeOffset? at = null;
        if (asOf is not null)
        {
            if (!DateTimeOffset.TryParse(asOf, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
                return Problem.Invalid("asOf", "'asOf' must be a date and time like \"2026-11-25T10:00:00Z\".").ToProblem();
            at = t;
        }
        var from = 0L;
        if (after is not null && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out from))
            return Problem.Invalid("after", "'after' is the last version already seen (a whole number of 0 or more), as the next page's link gives it.").ToProblem();
        if (from > 0 && toVersion is null)
            return Problem.Invalid("version", "A following page ('after') continues a replay to a version: give the 'version' the first page replayed to, as the next page's link does.").ToProblem();
        var max = StreamReplayer.DefaultPage;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max < 1 || max > StreamReplayer.MaxPage))
            return Problem.Invalid("limit", $"'limit' must be a whole number from 1 to {StreamReplayer.MaxPage}.").ToProblem();
        var replay = from > 0
            ? await replayer.ContinueAsync(streamKey, toVersion!.Value, at, from, max, http.RequestAborted)
            : await replayer.ReplayAsync(streamKey, toVersion, at, max, http.RequestAborted);
        if (replay is null) return Problem.NotFound(at is null ? $"Stream '{streamKey}'" : $"Stream '{streamKey}' as of {asOf}").ToProblem();
        http.Response.Headers.ETag = ApiResults.ETag(replay.Version);
        if (replay.NextAfter is { } next)
        {
            // The next page continues to the same version (a stream that grows meanwhile does not shift the pages), and
            // reads only its own events: the first page checked the chain and folded the state to that version.
            var query = $"version={replay.Version}&after={next}&limit={max}" + (asOf is null ? "" : $"&asOf={Uri.EscapeDataString(asOf)}");
            ApiResults.NextPage(http, $"/api/audit/streams/{Uri.EscapeDataString(streamKey)}?{query}");
        }
        return TypedResults.Json(replay, JsonDefaults.Options);
    }

    private static IResult PublicKey(LedgerKey key, HttpContext http)
    {
        var accept = http.Request.Headers.Accept.ToString();
        if (accept.Contains("application/x-pem-file", StringComparison.OrdinalIgnoreCase) || accept.Contains("application/x-pem", StringComparison.OrdinalIgnoreCase))
            return Results.Text(key.PublicPem, "application/x-pem-file");
        return TypedResults.Json(key.PublicJwk, JsonDefaults.Options, "application/jwk+json");
    }
}
