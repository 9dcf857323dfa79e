using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using DthGrains.Contracts.Platform;
using DthGrains.Silo.Identity;

namespace DthGrains.Silo.Platform;

/// <summary>Builds the command context of a request: actor from the validated token, ids from headers or the trace.</summary>
public static partial class HttpCommandContext
{
    private const string BodyDigestItem = "dth.body-digest";

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,100}$")]
    private static partial Regex HeaderIdPattern();

    public static (CommandContext? Context, Problem? Problem) For(HttpContext http, long? expectedVersion = null)
    {
        var actor = http.User.ToActor();
        string? Header(string name) => http.Request.Headers[name].FirstOrDefault();
        var correlation = Header("X-Correlation-Id");
        var causation = Header("X-Causation-Id");
        var idempotency = Header("Idempotency-Key");
        foreach (var (name, value) in new[] { ("X-Correlation-Id", correlation), ("X-Causation-Id", causation), ("Idempotency-Key", idempotency) })
        {
            if (value is not null && !HeaderIdPattern().IsMatch(value))
                return (null, Problem.Invalid(name, $"{name} must be 1 to 100 characters of letters, digits and . _ : -"));
        }
        var traceId = Activity.Current?.TraceId.ToString();
        return (new CommandContext(actor, correlation ?? traceId ?? Guid.NewGuid().ToString("N"), causation, traceId, null, idempotency, expectedVersion,
            idempotency is null ? null : Fingerprint(http, actor)), null);
    }

    /// <summary>
    /// Called by <see cref="JsonBody"/> with the body it read, as bytes: kept (as a digest) only when the request carries
    /// an Idempotency-Key, for the key's fingerprint. The bytes are the body as bound (re-serialised) or as validated, so
    /// the same request sent again with other whitespace or member order has the same fingerprint where it binds the same.
    /// </summary>
    internal static void RememberBody(HttpContext http, Func<byte[]> body)
    {
        if (http.Request.Headers.ContainsKey("Idempotency-Key")) http.Items[BodyDigestItem] = Convert.ToHexStringLower(SHA256.HashData(body()));
    }

    /// <summary>
    /// What identifies the request an idempotency key came with: its caller (subject and institution), method, path,
    /// query (a dataset version is named there) and body (as read). The caller is part of it because keys are not secret
    /// (every event's envelope shows its key): another steward sending the same decision under the same key was answered
    /// with the first steward's result, and their own decision was never recorded.
    /// </summary>
    private static string Fingerprint(HttpContext http, Actor actor)
    {
        var body = http.Items.TryGetValue(BodyDigestItem, out var digest) ? (string)digest! : "";
        var text = $"{actor.Subject}\n{actor.Institution}\n{http.Request.Method} {http.Request.Path.Value}{http.Request.QueryString.Value}\n{body}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    /// <summary>
    /// The id of a resource the server names on creation (a run, an access application, a twin). With an
    /// Idempotency-Key it is derived from the caller's subject and the key (a name-based UUID, version 8), so the repeat
    /// of a creation reaches the same grain and gets the first answer instead of creating a second resource; callers
    /// cannot meet each other's ids, because the subject is part of the name. Without a key it is random.
    /// </summary>
    public static string CreatedId(CommandContext context, string collection)
    {
        if (context.IdempotencyKey is not { } key) return Guid.NewGuid().ToString("D");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"dthgrains/{collection}\n{context.Actor.Subject}\n{key}"), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8 (RFC 9562: custom)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // variant 10
        return new Guid(bytes, bigEndian: true).ToString("D");
    }
}
