using System.Diagnostics;
using System.Text.RegularExpressions;
using DthGrains.Contracts.Platform;
using DthGrains.Silo.Identity;

namespace DthGrains.Silo.Platform;

/// <summary>Builds the command context of a request: actor from the validated token, ids from headers or the trace.</summary>
public static partial class HttpCommandContext
{
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
        return (new CommandContext(actor, correlation ?? traceId ?? Guid.NewGuid().ToString("N"), causation, traceId, null, idempotency, expectedVersion), null);
    }
}
