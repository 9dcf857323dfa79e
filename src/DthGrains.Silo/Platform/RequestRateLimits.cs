using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using DthGrains.Contracts.Platform;
using Microsoft.AspNetCore.RateLimiting;

namespace DthGrains.Silo.Platform;

/// <summary>The <c>Dth:RateLimit</c> section: a token bucket per client.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Sustained requests per second per client (0 turns limiting off).</summary>
    public int RequestsPerSecond { get; set; } = 100;

    /// <summary>Requests a client may send at once before the sustained rate applies.</summary>
    public int Burst { get; set; } = 400;
}

/// <summary>
/// One client cannot flood the platform (RELIABILITY row 19): each client has its own token bucket, so a flood from
/// one token answers 429 with Retry-After to that token only and leaves everyone else unaffected. A client is the
/// token's subject and institution when authenticated, else the remote address. Health probes, the public ledger key
/// and the API reference are never limited (orchestrators and verifiers must always reach them).
/// </summary>
public static class RequestRateLimits
{
    public static IServiceCollection AddDthRateLimits(this IServiceCollection services, RateLimitOptions options)
    {
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                options.RequestsPerSecond <= 0 || Exempt(http.Request.Path)
                    ? RateLimitPartition.GetNoLimiter("exempt")
                    : RateLimitPartition.GetTokenBucketLimiter(ClientOf(http), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = Math.Max(1, options.Burst),
                        TokensPerPeriod = options.RequestsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            o.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                var problem = new Problem(ProblemKind.TooManyRequests, "Too many requests",
                    $"This client sent more than {options.RequestsPerSecond} requests a second (bursts up to {options.Burst}). Retry after {retryAfter} s.");
                await problem.ToProblem().ExecuteAsync(context.HttpContext);
            };
        });
        return services;
    }

    private static bool Exempt(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/.well-known", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/reference", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/openapi", StringComparison.OrdinalIgnoreCase);

    private static string ClientOf(HttpContext http) =>
        http.User.Identity?.IsAuthenticated == true && http.User.FindFirstValue(DthGrains.Silo.Identity.DthClaims.Subject) is { } subject
            ? $"sub:{subject}@{http.User.FindFirstValue(DthGrains.Silo.Identity.DthClaims.Institution)}"
            : $"ip:{http.Connection.RemoteIpAddress}";
}
