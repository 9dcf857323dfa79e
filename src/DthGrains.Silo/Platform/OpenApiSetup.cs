using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;

namespace DthGrains.Silo.Platform;

/// <summary>
/// The OpenAPI document as a client needs it: a title that names the product, the Bearer scheme (so the interactive
/// reference at /reference can send a token), and on every operation that needs a token the answers every such
/// operation can give besides its own: 401 (no or a bad token), 403 (roles or institution), 429 (this client's rate)
/// and 503 (a store or silo briefly out of reach).
/// </summary>
public static class OpenApiSetup
{
    public const string BearerScheme = "Bearer";

    public static IServiceCollection AddDthOpenApi(this IServiceCollection services) => services.AddOpenApi(o =>
    {
        o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "DthGrains API";
            document.Info.Description =
                "The federated backend for digital twins in healthcare: catalogue, access governance, the hash-chained ledger and its audit, " +
                "twins, and simulation runs. Every /api route takes a Bearer token (JWT; on the standalone platform 'dth token' prints one). " +
                "Errors are RFC 9457 problem details, or FHIR OperationOutcomes on FHIR routes.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A JWT of the federation's authority (standalone: 'dth token --role researcher --institution tum').",
            };
            return Task.CompletedTask;
        });
        o.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            // A fallback policy asks every endpoint for an authenticated user unless it allows anonymous callers.
            if (metadata.OfType<IAllowAnonymous>().Any()) return Task.CompletedTask;
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
            operation.Responses ??= [];
            Add(operation.Responses, "401", "No token, or one that is expired, forged or for another audience: WWW-Authenticate says which.");
            // Refused by role (a policy or roles on the route), or any write by a read-only auditor; grains refuse by institution.
            if (metadata.OfType<IAuthorizeData>().Any(a => a.Policy is not null || a.Roles is not null) || context.Description.HttpMethod is not "GET")
                Add(operation.Responses, "403", "The token's roles or institution do not allow this; the refusal is recorded in the ledger.");
            if (operation.Parameters?.Count > 0)
                Add(operation.Responses, "400", "A parameter is not valid (a bad number, an id outside the allowed form, a NUL character): the problem names it.");
            if (metadata.OfType<IdempotentCreation>().Any())
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "Idempotency-Key",
                    In = ParameterLocation.Header,
                    Description = "Makes the creation safe to repeat (after a timeout or a 503): the same key with the same body from the same caller " +
                        "answers with the resource the first request created, and creates nothing. 1 to 100 letters, digits and . _ : -",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[A-Za-z0-9._:-]{1,100}$" },
                });
                Add(operation.Responses, "422", "The Idempotency-Key was already used by this caller for a different request; nothing was created. Send a new key.");
            }
            Add(operation.Responses, "429", "Too many requests from this client: Retry-After says when to try again.");
            Add(operation.Responses, "503", "The platform's store or a silo is briefly out of reach: Retry-After says when to try again.");
            return Task.CompletedTask;
        });
    });

    private static void Add(OpenApiResponses responses, string status, string description) =>
        responses.TryAdd(status, new OpenApiResponse { Description = description });
}

/// <summary>Endpoint metadata: a creation route whose server-named resource is derived from the caller's Idempotency-Key.</summary>
public sealed class IdempotentCreation
{
    public static readonly IdempotentCreation Instance = new();

    private IdempotentCreation()
    {
    }
}
