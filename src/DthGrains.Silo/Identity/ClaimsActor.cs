using System.Collections.Immutable;
using System.Security.Claims;
using DthGrains.Contracts.Platform;

namespace DthGrains.Silo.Identity;

/// <summary>Claim names in DthGrains tokens.</summary>
public static class DthClaims
{
    public const string Subject = "sub";
    public const string Name = "name";
    public const string Institution = "institution";
    public const string Roles = "roles";
}

public static class ClaimsActor
{
    /// <summary>The actor of a validated principal. Only token claims count: never a body or a query field.</summary>
    public static Actor ToActor(this ClaimsPrincipal user) => new(
        user.FindFirstValue(DthClaims.Subject) ?? "anonymous",
        user.FindFirstValue(DthClaims.Name) ?? user.FindFirstValue(DthClaims.Subject) ?? "anonymous",
        user.FindFirstValue(DthClaims.Institution),
        user.FindAll(DthClaims.Roles).Select(c => c.Value).Where(r => Roles.All.Contains(r)).Distinct().ToImmutableArray());
}
