using System.Globalization;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Runs;
using DthGrains.Silo.Identity;
using DthGrains.Silo.Platform;
using Marten;
using Microsoft.Extensions.Options;

namespace DthGrains.Silo.Runs;

/// <summary>A reason for cancelling.</summary>
public sealed record CancelRunRequest(string? Reason);

public sealed record RunPage(IReadOnlyList<RunDocument> Items, int Total);

/// <summary>What the caller holds against the caps on runs (0: no cap).</summary>
public sealed record RunUsage(string[] UnfinishedRuns, int MaxUnfinishedRuns, long RowBytesKept, long RowBytesComing, long RowsQuota);

/// <summary>Simulation runs: submit (202), list, show, cancel, results (JSON, CSV, RO-Crate), live events (SSE).</summary>
public static partial class RunEndpoints
{
    private const int MaxPage = 100;
    public const string EventStream = "text/event-stream";

    public static IServiceCollection AddDthRunStreams(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<RunStreamOptions>(configuration.GetSection(RunStreamOptions.Section));
        services.AddSingleton<RunFollowers>();
        return services;
    }

    public static IEndpointRouteBuilder MapRunEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("Runs");
        group.MapPost("/runs", Submit).WithName("SubmitRun").WithMetadata(IdempotentCreation.Instance)
            .WithSummary("Submit a run (single, scenario-set, sweep, monte-carlo, cohort-trial, sensitivity); the policy is checked for every dataset (action simulate). 202 with the run's URL; 429 past a researcher's cap on unfinished runs (Dth:Runs:MaxActiveRunsPerResearcher, 8), 403 past their quota of per-subject rows (GET /api/runs/usage shows both); an Idempotency-Key makes a repeat safe; a cohort seeded from a dataset stays 'submitted' until its seed is fitted at the data, then starts")
            .Accepts<RunRequest>("application/json").Produces<RunView>(202).ProducesProblem(400).ProducesProblem(403).ProducesProblem(409).ProducesProblem(429)
            .RequireAuthorization(IdentitySetup.Researchers);
        group.MapGet("/runs", List).WithName("ListRuns").WithSummary("Your runs (everyone's for auditors and platform admins), newest first")
            .Produces<RunPage>().ProducesProblem(400);
        group.MapGet("/runs/usage", Usage).WithName("GetRunUsage")
            .WithSummary("What you hold against your caps: your unfinished runs and the most you may have at once, the bytes of per-subject rows your runs keep and will still write, and your quota (0: none); platform admins and auditors may ask for another researcher's with ?owner=")
            .Produces<RunUsage>().ProducesProblem(403);
        group.MapGet("/runs/models", (ExternalModelHosts hosts) => TypedResults.Json(
                EngineModels.List().Select(m => m.Executor is null ? m : m with { Hosts = [.. hosts.LiveHostsOf(m.Id)] }).ToList(), JsonDefaults.Options))
            .WithName("ListRunModels")
            .WithSummary("The models runs can use, with their outputs and named scenarios (the engine's library, the same on every silo of one engine version); an external code also with the live silos that have it")
            .Produces<IReadOnlyList<EngineModelSummary>>();
        group.MapGet("/runs/models/{model}", Model).WithName("GetRunModel")
            .WithSummary("A model by id or alias: the parameters a request may set, sweep or vary (units, defaults, plausible ranges, sources, inter-individual distributions), its outputs, inputs and named scenarios with their default output steps")
            .Produces<EngineModelView>().ProducesProblem(400).ProducesProblem(404);
        group.MapGet("/runs/{id}", Get).WithName("GetRun").WithSummary("A run: status, progress, summary statistics and percentile bands, provenance; the ETag is its version")
            .Produces<RunDocument>().ProducesProblem(404);
        group.MapPost("/runs/{id}/cancel", Cancel).WithName("CancelRun").TakesIfMatch().WithSummary("Cancel a run: no shard is dispatched or counted after this")
            .Accepts<CancelRunRequest>("application/json").Produces<RunView>().ProducesProblem(403).ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/runs/{id}/rows/release", ReleaseRows).WithName("ReleaseRunRows").TakesIfMatch()
            .WithSummary("Release (delete) an ended run's per-subject rows to give their storage back; the summary, the bands and the ledger's digests of the rows stay, and the run reproduces them bit for bit from its request and seed")
            .Accepts<CancelRunRequest>("application/json").Produces<RunView>().ProducesProblem(403).ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/runs/{id}/results", Results).WithName("GetRunResults")
            .WithSummary("Per-subject outputs of a completed run with their provenance: JSON, or CSV with ?format=csv or Accept: text/csv; 410 once its rows were released")
            .Produces(200, contentType: "application/json").Produces(200, contentType: "text/csv").ProducesProblem(404).ProducesProblem(409).ProducesProblem(410);
        group.MapGet("/runs/{id}/ro-crate", RoCrate).WithName("ExportRunRoCrate").WithSummary("The run as a Workflow Run RO-Crate (zip with ro-crate-metadata.json)")
            .Produces(200, contentType: "application/zip").ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/runs/{id}/shards", Shards).WithName("GetRunShards")
            .WithSummary("The run's shards as recorded so far, in shard order: subjects, silo, time, statistics (binary, base64), rows digest and fingerprint; what 'dth run verify --sample' checks a few shards against and folds again into the result hash. ?statistics=false leaves out the statistics' data and the sensitivity sums (tens of kilobytes a shard; the fingerprints still cover them)")
            .Produces<IReadOnlyList<RecordedShard>>().ProducesProblem(404);
        group.MapGet("/runs/{id}/history", History).WithName("GetRunHistory").WithSummary("The run's events with their envelopes")
            .Produces<IReadOnlyList<StoredEvent>>().ProducesProblem(404);
        group.MapGet("/runs/{id}/events", Events).WithName("FollowRun")
            .WithSummary("Server-Sent Events: the durable events after Last-Event-ID (id = stream version), then live ones and coalesced progress (event: progress, no id)")
            .Produces(200, contentType: EventStream).ProducesProblem(400).ProducesProblem(404).ProducesProblem(429);
        return app;
    }

    private static async Task<IResult> Submit(HttpContext http, IGrainFactory grains)
    {
        var (request, invalid) = await JsonBody.ReadAsync<RunRequest>(http.Request);
        if (invalid is not null) return invalid.ToProblem();
        var (context, badHeader) = HttpCommandContext.For(http);
        if (badHeader is not null) return badHeader.ToProblem();
        var id = HttpCommandContext.CreatedId(context!, "runs");
        var outcome = await grains.GetGrain<IRunAdmissionGrain>(context!.Actor.Subject).SubmitAsync(id, request!, context!);
        if (outcome.Problem is not null) return outcome.Problem.ToProblem(http);
        http.Response.Headers.ETag = ApiResults.ETag(outcome.Version);
        return new AcceptedAt(TypedResults.Json(outcome.Value, JsonDefaults.Options, statusCode: StatusCodes.Status202Accepted), $"/api/runs/{id}");
    }

    private static async Task<IResult> Usage(HttpContext http, IDocumentStore store, IOptions<RunOptions> options, string? owner)
    {
        var actor = http.User.ToActor();
        if (owner is { Length: 0 or > 200 }) return Problem.Invalid("owner", "'owner' is the subject of a researcher's token, 1 to 200 characters.").ToProblem();
        // Another researcher's holdings are for the operators and the auditors, as their runs are.
        if (owner is not null && owner != actor.Subject && !actor.HasRole(Roles.PlatformAdmin) && !actor.HasRole(Roles.Auditor))
            return Problem.Forbidden("Only platform admins and auditors see another researcher's usage; leave out 'owner' for your own.").ToProblem();
        await using var session = store.QuerySession();
        var held = await ResearcherRuns.ReadAsync(session, owner ?? actor.Subject, ct: http.RequestAborted);
        var o = options.Value;
        return TypedResults.Json(new RunUsage([.. held.UnfinishedRuns.Select(u => u.Id)], o.MaxActiveRunsPerResearcher, held.RowBytesKept, held.RowBytesComing,
            o.RowsQuotaPerResearcher), JsonDefaults.Options);
    }

    private static IResult Model(string model, ExternalModelHosts hosts)
    {
        if (!Ids.IsValid(model)) return ApiResults.InvalidId("model");
        return EngineModels.Describe(model) is { } view
            ? TypedResults.Json(view.Executor is null ? view : view with { Hosts = [.. hosts.LiveHostsOf(view.Id)] }, JsonDefaults.Options)
            : new Problem(ProblemKind.NotFound, "Not found",
                $"Model '{model}' does not exist. The engine's models: {string.Join(", ", EngineModels.List().Select(m => m.Alias is null ? m.Id : $"{m.Id} ({m.Alias})"))}.").ToProblem();
    }

    /// <summary>202 with a Location header and a JSON body.</summary>
    private sealed class AcceptedAt(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.Headers.Location = location;
            return inner.ExecuteAsync(http);
        }
    }

    private static bool MaySee(RunDocument d, Actor a) => MaySee(d.Owner, a);

    private static bool MaySee(string owner, Actor a) => owner == a.Subject || a.HasRole(Roles.Auditor) || a.HasRole(Roles.PlatformAdmin);

    private static async Task<(RunDocument? Document, IResult? Refused)> VisibleAsync(string id, HttpContext http, IDocumentStore store)
    {
        if (!Ids.IsValid(id)) return (null, ApiResults.InvalidId("id"));
        await using var session = store.QuerySession();
        var doc = await session.LoadAsync<RunDocument>(id, http.RequestAborted);
        return doc is not null && MaySee(doc, http.User.ToActor()) ? (doc, null) : (null, Problem.NotFound($"Run '{id}'").ToProblem());
    }

    /// <summary>
    /// The same check without the document: only its owner is read. A completed run's document carries its summary and
    /// bands (some 80 KB of JSON for 436 cells), which loading would transfer and parse for a yes or a no: 3-4 ms of every
    /// stream of a completed run.
    /// </summary>
    private static async Task<IResult?> RefusedAsync(string id, HttpContext http, IDocumentStore store) => (await HeadAsync(id, http, store)).Refused;

    /// <summary>The run's stream version (its read model is written in each event's transaction), or the refusal: 400 for a bad id, 404 unless the caller may see it.</summary>
    private static async Task<(long Head, IResult? Refused)> HeadAsync(string id, HttpContext http, IDocumentStore store)
    {
        if (!Ids.IsValid(id)) return (0, ApiResults.InvalidId("id"));
        await using var session = store.QuerySession();
        var run = await session.Query<RunDocument>().Where(d => d.Id == id).Select(d => new { d.Owner, d.Version }).SingleOrDefaultAsync(http.RequestAborted);
        return run?.Owner is { } owner && MaySee(owner, http.User.ToActor()) ? (run.Version, null) : (0, Problem.NotFound($"Run '{id}'").ToProblem());
    }

    private static async Task<IResult> List(HttpContext http, IDocumentStore store, string? status, int? offset, int? limit)
    {
        if (offset is < 0 || limit is < 1 or > MaxPage) return Problem.Invalid("limit", $"'offset' is 0 or more and 'limit' 1 to {MaxPage}.").ToProblem();
        RunStatus? wanted = null;
        if (status is not null)
        {
            if (!AccessPolicy.TryParse<RunStatus>(status, out var s)) return Problem.Invalid("status", "'status' is submitted, running, suspended, cancelled, failed or completed.").ToProblem();
            wanted = s;
        }
        var actor = http.User.ToActor();
        await using var session = store.QuerySession();
        var query = session.Query<RunDocument>().AsQueryable();
        if (!actor.HasRole(Roles.Auditor) && !actor.HasRole(Roles.PlatformAdmin))
        {
            var subject = actor.Subject;
            query = query.Where(r => r.Owner == subject);
        }
        if (wanted is { } w) query = query.Where(r => r.Status == w);
        var total = await query.CountAsync(http.RequestAborted);
        var items = await query.OrderByDescending(r => r.SubmittedAt).ThenBy(r => r.Id).Skip(offset ?? 0).Take(limit ?? 50).ToListAsync(http.RequestAborted);
        // Lists stay small: the bands are on the run's own page.
        foreach (var item in items) { item.Summary = null; item.Request = null; }
        return TypedResults.Json(new RunPage(items, total), JsonDefaults.Options);
    }

    private static async Task<IResult> Get(string id, HttpContext http, IDocumentStore store)
    {
        var (doc, refused) = await VisibleAsync(id, http, store);
        if (refused is not null) return refused;
        http.Response.Headers.ETag = ApiResults.ETag(doc!.Version);
        return TypedResults.Json(doc, JsonDefaults.Options);
    }

    private static Task<IResult> Cancel(string id, HttpContext http, IGrainFactory grains) =>
        WithReasonAsync(id, http, (reason, context) => grains.GetGrain<IRunGrain>(id).CancelAsync(reason, context));

    private static Task<IResult> ReleaseRows(string id, HttpContext http, IGrainFactory grains) =>
        WithReasonAsync(id, http, (reason, context) => grains.GetGrain<IRunGrain>(id).ReleaseRowsAsync(reason, context));

    /// <summary>A command on a run that takes an optional body <c>{"reason": ...}</c>.</summary>
    private static async Task<IResult> WithReasonAsync(string id, HttpContext http, Func<string?, CommandContext, Task<Outcome<RunView>>> command)
    {
        if (!Ids.IsValid(id)) return ApiResults.InvalidId("id");
        string? reason = null;
        // No body, or an empty one (a client that always sends Content-Type: application/json): no reason.
        if (http.Request.ContentLength is > 0 || (http.Request.ContentLength is null && http.Request.Headers.ContentType.Count > 0))
        {
            var (body, invalid) = await JsonBody.ReadAsync<CancelRunRequest>(http.Request);
            if (invalid is not null) return invalid.ToProblem();
            reason = body!.Reason;
        }
        // If-Match names the run's version (its ETag): a release of the rows, which deletes them, can be guarded with it.
        var (expected, badIfMatch) = ApiResults.IfMatch(http.Request);
        if (badIfMatch is not null) return badIfMatch.ToProblem();
        var (context, badHeader) = HttpCommandContext.For(http, expected);
        return badHeader is not null ? badHeader.ToProblem() : ApiResults.Ok(http, await command(reason, context!));
    }

    private static async Task<IResult> History(string id, HttpContext http, IDocumentStore store, EventLog log)
    {
        var refused = await RefusedAsync(id, http, store);
        return refused ?? TypedResults.Json(await log.ReadStoredAsync(RunEventTypes.StreamOf(id), ct: http.RequestAborted), JsonDefaults.Options);
    }

    private static async Task<IResult> Events(string id, HttpContext http, IDocumentStore store, IGrainFactory grains, EventLog log,
        RunFollowers followers, IOptions<RunStreamOptions> options, TimeProvider clock, string? lastEventId)
    {
        var (head, refused) = await HeadAsync(id, http, store);
        if (refused is not null) return refused;
        var header = http.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? lastEventId;
        long last = 0;
        if (header is not null && (!long.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out last) || last < 0))
            return Problem.Invalid("Last-Event-ID", "Last-Event-ID is the id (stream version) of the last event received, a whole number.").ToProblem();
        // An id past the run's last event (another run's, say) would skip every event to come, the end too: the stream
        // would never close.
        if (last > head)
            return Problem.Invalid("Last-Event-ID", $"Last-Event-ID {last} is past the run's last event ({head}): send the id of an event of this run, or none to replay it all.").ToProblem();
        var client = http.User.ToActor().Subject;
        var o = options.Value;
        if (!followers.TryEnter(client, o.MaxStreamsPerClient))
        {
            http.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests, Title = "Too many streams",
                Detail = $"At most {o.MaxStreamsPerClient} run streams per client at once; close one and retry.",
                Type = "https://dthgrains.eu/problems/too-many-requests",
            });
        }
        return new RunEventsResult(id, last, client, grains, log, followers, o, clock);
    }

    /// <summary>How long an ended stream's follower still takes (and drops) what the run grain sent it before the unfollow.</summary>
    internal static readonly TimeSpan ObserverGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Deletes an ended stream's observer reference after <see cref="ObserverGrace"/>. Progress the run grain sent in a
    /// turn before the unfollow may be dispatched after the unfollow's answer; deleted at once, Orleans logged each such
    /// message as an error ("Unexpected target grain in request", twice in some 300 benchmark runs). The follower is kept
    /// alive until then (Orleans holds observers weakly), closed, so it drops them.
    /// </summary>
    private static async Task DeleteLaterAsync(IGrainFactory grains, IRunObserver reference, RunFollower follower, TimeProvider clock)
    {
        await Task.Delay(ObserverGrace, clock);
        GC.KeepAlive(follower);
        try { grains.DeleteObjectReference<IRunObserver>(reference); }
        catch (ObjectDisposedException) { /* the silo stopped meanwhile, and its observers with it */ }
    }

    /// <summary>The SSE response: subscribes a follower with the run grain, writes until the run ends or the client leaves.</summary>
    private sealed class RunEventsResult(string id, long last, string client, IGrainFactory grains, EventLog log, RunFollowers followers, RunStreamOptions options, TimeProvider clock) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            try
            {
                http.Response.ContentType = EventStream;
                http.Response.Headers.CacheControl = "no-cache";
                http.Response.Headers["X-Accel-Buffering"] = "no";
                http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
                await http.Response.Body.FlushAsync(http.RequestAborted);
                var follower = new RunFollower(options.BufferCapacity, http.Abort, followers);
                var reference = grains.CreateObjectReference<IRunObserver>(follower);
                var grain = grains.GetGrain<IRunGrain>(id);
                try
                {
                    await grain.FollowAsync(reference);
                    var writer = new RunEventWriter(http.Response.Body, follower,
                        (after, ct) => RunEventWriter.ReadAfterAsync(log, id, after, ct), () => grain.FollowAsync(reference), options, clock);
                    await writer.RunAsync(last, http.RequestAborted);
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException || http.RequestAborted.IsCancellationRequested)
                {
                    // The client left, or was dropped for falling behind: it resumes with Last-Event-ID.
                }
                finally
                {
                    try { await grain.UnfollowAsync(reference); }
                    catch (Exception) { /* the run may be on a silo that is gone; its follower expires there */ }
                    follower.Close();
                    _ = DeleteLaterAsync(grains, reference, follower, clock);
                }
            }
            finally
            {
                followers.Exit(client);
            }
        }
    }
}
