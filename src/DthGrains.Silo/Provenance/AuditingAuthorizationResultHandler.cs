using DthGrains.Contracts.Platform;
using DthGrains.Silo.Identity;
using DthGrains.Silo.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace DthGrains.Silo.Provenance;

/// <summary>
/// Runs after every authorization decision, before any endpoint reads its body. Two rules:
/// <list type="number">
/// <item>A token with the <c>auditor</c> role is read-only everywhere: any POST, PUT, PATCH or DELETE is refused here,
/// at the policy level, whatever the route's own policy and whatever other roles the token carries (separation of
/// duties), except routes marked <see cref="AuditAct"/>.</item>
/// <item>Every 403 is recorded as <c>audit.request_denied</c> through the one append path: those decided by a policy
/// (answered here with a ProblemDetails body) and those a route decides by its own rules after authorization passed.</item>
/// </list>
/// 401s (no or bad token) are not recorded as anyone: nothing in them is an identity to trust.
/// </summary>
public sealed class AuditingAuthorizationResultHandler(DenialRecorder recorder) : IAuthorizationMiddlewareResultHandler
{
    private static readonly HashSet<string> Mutating = new(StringComparer.OrdinalIgnoreCase) { "POST", "PUT", "PATCH", "DELETE" };

    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        string? reason = null;
        if ((authorizeResult.Succeeded || authorizeResult.Forbidden) && IsAuditorWrite(context))
            reason = $"The auditor role is read-only: {context.Request.Method} {RouteOf(context)} changes state.";
        else if (authorizeResult.Forbidden)
            reason = "The token's roles do not allow this route" + Describe(authorizeResult.AuthorizationFailure) + ".";

        if (reason is null && authorizeResult.Succeeded)
        {
            await next(context);
            // A route that refuses by its own rules (an institution admin writing another institution's node) is recorded too.
            if (context.Response.StatusCode == StatusCodes.Status403Forbidden)
                await recorder.RecordAsync(context, RouteOf(context), "Refused by the route's own access rules (see the response's detail).");
            return;
        }
        if (reason is null)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }
        await recorder.RecordAsync(context, RouteOf(context), reason);
        await Problem.Forbidden(reason).ToProblem().ExecuteAsync(context);
    }

    private static bool IsAuditorWrite(HttpContext context) =>
        Mutating.Contains(context.Request.Method)
        && context.User.Identity?.IsAuthenticated == true
        && context.User.ToActor().HasRole(Roles.Auditor)
        && context.GetEndpoint()?.Metadata.GetMetadata<AuditAct>() is null;

    public static string RouteOf(HttpContext context) =>
        (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value ?? "";

    private static string Describe(AuthorizationFailure? failure)
    {
        var roles = failure?.FailedRequirements.OfType<Microsoft.AspNetCore.Authorization.Infrastructure.RolesAuthorizationRequirement>()
            .SelectMany(r => r.AllowedRoles).Distinct().ToArray();
        return roles is { Length: > 0 } ? $" (it needs one of: {string.Join(", ", roles)})" : "";
    }
}
