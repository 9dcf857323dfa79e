using System.Security.Cryptography;
using System.Text;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Provenance;
using DthGrains.Grains.Platform;
using DthGrains.Silo.Identity;
using DthGrains.Silo.Platform;

namespace DthGrains.Silo.Provenance;

/// <summary>
/// Appends <see cref="RequestDenied"/> through the one append path, hash-chained like every event. One stream per
/// actor and day (<c>audit:denials:{yyyy-MM-dd}:{first 16 hex of SHA-256(subject)}</c>): bounded contention, and the
/// checkpoint's head count grows with actors, not with requests.
/// </summary>
public sealed class DenialRecorder(EventLog log, TimeProvider clock, ILogger<DenialRecorder> logger)
{
    public const string StreamPrefix = "audit:denials:";

    public static string StreamFor(string subject, DateTimeOffset at) =>
        $"{StreamPrefix}{at.UtcDateTime:yyyy-MM-dd}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(subject)))[..16]}";

    public async Task RecordAsync(HttpContext http, string route, string reason)
    {
        var actor = http.User.ToActor();
        var now = clock.GetUtcNow();
        var denied = new RequestDenied(actor.Subject, actor.Institution, actor.Roles.IsDefault ? [] : [.. actor.Roles],
            http.Request.Method, route, http.Request.Path.Value ?? "", reason, now);
        var (context, _) = HttpCommandContext.For(http);
        // Bad correlation headers do not spare a denial its record.
        context ??= new CommandContext(actor, http.TraceIdentifier);
        var stream = StreamFor(actor.Subject, now);
        try
        {
            // A concurrent denial of the same actor: appended after it.
            await log.AppendAtHeadAsync(stream, [denied], context, retries: 10, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The 403 stands either way; a lost denial record is an operational error to see in the log.
            logger.LogError(ex, "Could not record the denial of {Method} {Route} for {Subject}", denied.Method, route, actor.Subject);
        }
    }
}
