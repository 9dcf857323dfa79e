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
        // The body converters that refuse NUL text and infinite numbers (StorableText, FiniteNumbers) hide their types from
        // the schema exporter, which then describes every string and number as anything ({}): name them again.
        o.AddSchemaTransformer((schema, context, _) =>
        {
            var type = context.JsonTypeInfo.Type;
            if (schema.Type is null && Scalar(type) is { } scalar)
            {
                var nullable = context.JsonPropertyInfo is { IsSetNullable: true } || Nullable.GetUnderlyingType(type) is not null;
                schema.Type = nullable ? scalar.Type | JsonSchemaType.Null : scalar.Type;
                schema.Format ??= scalar.Format;
            }
            // Their arrays and maps lost their items' schema the same way (a list of dataset ids read as an array of anything).
            if (context.JsonTypeInfo.ElementType is { } element && Scalar(element) is { } item)
            {
                var described = new OpenApiSchema { Type = item.Type, Format = item.Format };
                if (context.JsonTypeInfo.Kind == System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Enumerable) schema.Items ??= described;
                else if (context.JsonTypeInfo.Kind == System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Dictionary) schema.AdditionalProperties ??= described;
            }
            return Task.CompletedTask;
        });
        // A few schemas the exporter builds without calling the schema transformers (StreamHead, reached only inside a
        // checkpoint's list of heads): their strings are named from the type of the same name, once the document is whole.
        o.AddDocumentTransformer((document, _, _) =>
        {
            foreach (var (name, component) in document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>())
            {
                if (component is not OpenApiSchema { Properties: { Count: > 0 } properties }) continue;
                foreach (var (member, property) in properties)
                {
                    if (property is not OpenApiSchema { Type: null, AllOf: null, OneOf: null, AnyOf: null, Enum: null } untyped
                        || !OurTypes.Value.TryGetValue(name, out var type)) continue;
                    var clr = type.GetProperty(member, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
                    if (clr is not null && Scalar(clr.PropertyType) is { } scalar)
                    {
                        var nullable = new System.Reflection.NullabilityInfoContext().Create(clr).WriteState == System.Reflection.NullabilityState.Nullable;
                        untyped.Type = nullable ? scalar.Type | JsonSchemaType.Null : scalar.Type;
                        untyped.Format ??= scalar.Format;
                    }
                }
            }
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
            if (metadata.OfType<EvaluatesIfMatch>().FirstOrDefault() is { } ifMatch)
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "If-Match",
                    In = ParameterLocation.Header,
                    Required = ifMatch.Required,
                    Description = (ifMatch.Required ? "Required: the change is made on the version you read. " : "Guards against lost updates. ")
                        + "The resource's ETag as read, quoted (\"3\"); * for any current version.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                });
                Add(operation.Responses, "412", "If-Match names a version that is no longer current (or a weak ETag): read the resource again and retry with its ETag.");
                if (ifMatch.Required) Add(operation.Responses, "428", "If-Match is required: GET the resource and send its ETag.");
            }
            else if (context.Description.HttpMethod is "POST" or "PUT" or "PATCH" or "DELETE")
                Add(operation.Responses, "400", "A parameter or the body is not valid (the problem names it); If-Match is refused here, as this write has no version to compare it with.");
            Add(operation.Responses, "429", "Too many requests from this client: Retry-After says when to try again.");
            Add(operation.Responses, "503", "The platform's store or a silo is briefly out of reach: Retry-After says when to try again.");
            return Task.CompletedTask;
        });
    });

    /// <summary>
    /// Our public types by name, those whose name is theirs alone (a schema's name is its type's): read once, on the
    /// first untyped property, instead of scanning every assembly for every schema of every document.
    /// </summary>
    private static readonly Lazy<Dictionary<string, Type>> OurTypes = new(() => AppDomain.CurrentDomain.GetAssemblies()
        .Where(a => a.GetName().Name?.StartsWith("DthGrains.", StringComparison.Ordinal) == true)
        .SelectMany(a => a.GetExportedTypes()).GroupBy(t => t.Name).Where(g => g.Count() == 1)
        .ToDictionary(g => g.Key, g => g.Single(), StringComparer.Ordinal));

    /// <summary>The JSON type of the scalars whose converters hide it (strings and doubles, nullable or not).</summary>
    private static (JsonSchemaType Type, string? Format)? Scalar(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) is var t && t == typeof(string) ? (JsonSchemaType.String, null)
        : t == typeof(double) ? (JsonSchemaType.Number, "double")
        : null;

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
