using System.Net.Sockets;
using DthGrains.Contracts.Platform;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace DthGrains.Silo.Platform;

/// <summary>
/// A store or silo that is briefly out of reach (PostgreSQL restarting, a silo just died) is not the caller's
/// mistake and not a bug: the answer is a retryable 503 with Retry-After, never a 500 (RELIABILITY rows 2 and 6).
/// Only transient faults qualify (Npgsql's own <see cref="NpgsqlException.IsTransient"/>, a connection that lost
/// protocol sync and was discarded, sockets, timeouts, an unreachable silo); anything else stays a 500 so real bugs are not disguised. Nothing is half written either
/// way: an append and its projections share one transaction.
/// </summary>
public sealed class OutageExceptionHandler(ILogger<OutageExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (http.Response.HasStarted) return false;
        if (Unreadable(exception) is { } unreadable)
        {
            // Loud and specific: a server fault (500) that names the stream, never a silent skip.
            logger.LogError(exception, "Unreadable stream {Stream}", unreadable.StreamKey);
            await TypedResults.Problem(unreadable.Message, statusCode: StatusCodes.Status500InternalServerError, title: "A stored event cannot be read").ExecuteAsync(http);
            return true;
        }
        if (!IsTransient(exception)) return false;
        logger.LogWarning("Transient outage answered 503: {Message}", exception.GetBaseException().Message);
        http.Response.Headers.RetryAfter = "1";
        await Problem.Unavailable("The platform's store or a silo is briefly out of reach; nothing was changed unless a retry shows otherwise. Retry in a second (commands with an Idempotency-Key are safe to repeat).")
            .ToProblem().ExecuteAsync(http);
        return true;
    }

    private static Grains.Platform.UnreadableStreamException? Unreadable(Exception? exception) =>
        Grains.Platform.ExceptionChain.Of(exception).OfType<Grains.Platform.UnreadableStreamException>().FirstOrDefault();

    /// <summary>Whether the exception, or any exception inside it, is a transient infrastructure fault.</summary>
    public static bool IsTransient(Exception? exception) =>
        Grains.Platform.ExceptionChain.Of(exception).Any(e => Grains.Platform.NpgsqlFaults.IsProtocolDesync(e) || e is NpgsqlException { IsTransient: true }
            or SocketException or TimeoutException or Grains.Platform.StoreUnavailableException
            or SiloUnavailableException or OrleansMessageRejectionException);
}
