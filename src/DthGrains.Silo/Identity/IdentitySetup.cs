using DthGrains.Contracts.Platform;
using DthGrains.Silo.Platform;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace DthGrains.Silo.Identity;

/// <summary>JWT bearer authentication and the role policies. Deny by default: every route needs a valid token unless it says otherwise.</summary>
public static class IdentitySetup
{
    public const string Writers = "ecosystem-writers";
    public const string Anyone = "any-authenticated";
    public const string CatalogueWriters = "catalogue-writers";
    public const string Researchers = "researchers";
    public const string Stewards = "stewards";
    public const string Operators = "cluster-operators";

    public static IServiceCollection AddDthIdentity(this IServiceCollection services, DthOptions options)
    {
        var identity = options.Identity;
        // Created at start, not on the first request: 'dth token' needs the key before anyone calls the API.
        var standaloneKey = string.IsNullOrWhiteSpace(identity.Authority)
            ? StandaloneSigningKey.LoadOrCreate(options.ResolveSigningKeyPath())
            : null;
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidateIssuer = true,
                    ValidIssuer = identity.Issuer,
                    ValidateAudience = true,
                    ValidAudience = identity.Audience,
                    ValidateLifetime = true,
                    RequireExpirationTime = true,
                    RequireSignedTokens = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = DthClaims.Name,
                    RoleClaimType = DthClaims.Roles,
                };
                if (!string.IsNullOrWhiteSpace(identity.Authority))
                {
                    jwt.Authority = identity.Authority;
                    jwt.Audience = identity.Audience;
                }
                else
                {
                    jwt.TokenValidationParameters.IssuerSigningKey = standaloneKey;
                    // Only the algorithm of our own key: 'none' and HMAC confusion are refused outright.
                    jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256];
                }
                jwt.Events = new JwtBearerEvents
                {
                    // A 401 also carries a ProblemDetails body that says how to get a token.
                    OnChallenge = async context =>
                    {
                        context.HandleResponse();
                        var error = context.AuthenticateFailure is null ? "" : ", error=\"invalid_token\"";
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"dthgrains\"{error}";
                        var detail = context.AuthenticateFailure is null
                            ? "Send 'Authorization: Bearer <token>'. On the standalone platform, 'dth token --role researcher' prints one."
                            : "The bearer token was refused (expired, wrong issuer or audience, or a bad signature). Get a new token.";
                        await Results.Problem(title: "Authentication required", detail: detail, statusCode: 401).ExecuteAsync(context.HttpContext);
                    },
                };
            });

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Anyone, p => p.RequireAuthenticatedUser())
            .AddPolicy(Writers, p => p.RequireRole(Roles.InstitutionAdmin, Roles.PlatformAdmin))
            // Which kinds each role may change is decided per resource (CatalogueAccess); auditors and researchers never write.
            .AddPolicy(Researchers, p => p.RequireRole(Roles.Researcher))
            .AddPolicy(Stewards, p => p.RequireRole(Roles.Steward))
            // Who runs the federation's silos (platform and institution admins) and who oversees it (auditors).
            .AddPolicy(Operators, p => p.RequireRole(Roles.PlatformAdmin, Roles.InstitutionAdmin, Roles.Auditor))
            .AddPolicy(CatalogueWriters, p => p.RequireRole(Roles.InstitutionAdmin, Roles.PlatformAdmin, Roles.Steward, Roles.Modeller));
        return services;
    }
}
