using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Integration.Tests.Identity;

[Collection(HostCollection.Name)]
public sealed class OpenApiTests(HostFixture fixture)
{
    [Fact]
    public async Task The_openapi_document_lists_every_api_route_and_method()
    {
        var document = await fixture.Host.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name}"))
            .ToHashSet();

        var routes = fixture.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            // OpenAPI writes a catch-all parameter ({**key}) as a plain one ({key}).
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {e.RoutePattern.RawText!.Replace("{**", "{")}"))
            .ToList();

        routes.Should().NotBeEmpty();
        documented.Should().Contain(routes);
    }

    [Fact]
    public async Task The_document_names_the_bearer_scheme_and_every_operation_that_needs_a_token_says_so_with_its_common_answers()
    {
        var document = await fixture.Host.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        document.GetProperty("info").GetProperty("title").GetString().Should().Be("DthGrains API");
        var bearer = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        (bearer.GetProperty("type").GetString(), bearer.GetProperty("scheme").GetString(), bearer.GetProperty("bearerFormat").GetString()).Should().Be(("http", "bearer", "JWT"));

        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (Route: $"{m.Name.ToUpperInvariant()} {p.Name}", Operation: m.Value))).ToList();
        foreach (var (route, operation) in operations.Where(o => o.Route.Contains(" /api/", StringComparison.Ordinal)))
        {
            operation.TryGetProperty("security", out var security).Should().BeTrue($"{route} needs a token");
            security.EnumerateArray().Select(r => r.TryGetProperty("Bearer", out var scheme)).Should().Contain(true, route);
            operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).Should().Contain(["401", "429", "503"], route);
            if (!route.StartsWith("GET ", StringComparison.Ordinal))
                operation.GetProperty("responses").TryGetProperty("403", out _).Should().BeTrue($"{route} is refused to an auditor");
        }
        // The creations whose repeat is safe with an Idempotency-Key say so, with the 422 of a key reused for another body.
        foreach (var route in new[] { "POST /api/runs", "POST /api/access/requests", "POST /api/twins" })
        {
            var operation = operations.Single(o => o.Route == route).Operation;
            operation.GetProperty("parameters").EnumerateArray().Should().Contain(p => p.GetProperty("name").GetString() == "Idempotency-Key" && p.GetProperty("in").GetString() == "header", route);
            operation.GetProperty("responses").TryGetProperty("422", out _).Should().BeTrue(route);
        }
        // The writes that evaluate If-Match declare it (required for a steward's decisions, with their 428) and its 412;
        // a creation, which has no version to compare it with, does not.
        static bool HasIfMatch(JsonElement operation, bool required) => operation.TryGetProperty("parameters", out var parameters)
            && parameters.EnumerateArray().Any(p => p.GetProperty("name").GetString() == "If-Match" && p.GetProperty("in").GetString() == "header"
                && (p.TryGetProperty("required", out var r) && r.GetBoolean()) == required);
        var decide = operations.Single(o => o.Route == "POST /api/access/requests/{id}/decision").Operation;
        HasIfMatch(decide, required: true).Should().BeTrue();
        decide.GetProperty("responses").EnumerateObject().Select(r => r.Name).Should().Contain(["412", "428"]);
        foreach (var route in new[] { "PUT /api/ecosystem/organisations/{id}", "POST /api/ecosystem/relations", "PUT /api/catalogue/resources/{id}/metadata", "POST /api/twins/{id}/retire", "POST /api/runs/{id}/rows/release" })
            HasIfMatch(operations.Single(o => o.Route == route).Operation, required: false).Should().BeTrue(route);
        foreach (var route in new[] { "POST /api/runs", "POST /api/ecosystem/organisations", "POST /api/audit/checkpoints" })
        {
            var operation = operations.Single(o => o.Route == route).Operation;
            (HasIfMatch(operation, required: false) || HasIfMatch(operation, required: true)).Should().BeFalse(route);
        }
        // What needs no token says so by having no requirement.
        operations.Single(o => o.Route == "GET /.well-known/dthgrains-ledger-key").Operation.TryGetProperty("security", out _).Should().BeFalse();
    }

    [Fact]
    public async Task Strings_and_numbers_of_the_bodies_keep_their_types_in_the_schemas()
    {
        // The converters that refuse NUL text and infinite numbers hid these types from the schema exporter: every string
        // and double read as {} (anything), and lists of ids as arrays of anything.
        var schemas = (await fixture.Host.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json")).GetProperty("components").GetProperty("schemas");
        string[] TypeOf(string schema, string property) => Types(schemas.GetProperty(schema).GetProperty("properties").GetProperty(property));
        TypeOf("AccessApplication", "title").Should().Equal("string");
        TypeOf("AccessApplication", "pseudonymisationJustification").Should().BeEquivalentTo("string", "null");
        TypeOf("RunRequest", "duration").Should().BeEquivalentTo("number", "null");
        TypeOf("RunSolverSettings", "relativeTolerance").Should().BeEquivalentTo("number", "null");
        var datasets = schemas.GetProperty("AccessApplication").GetProperty("properties").GetProperty("datasets");
        Types(datasets.GetProperty("items")).Should().Equal("string");
        Types(schemas.GetProperty("RunRequest").GetProperty("properties").GetProperty("parameters").GetProperty("additionalProperties")).Should().Equal("number");

        // Everywhere: a property says what it is, but for a JSON value of any shape (a replayed state). A stream head's
        // strings, whose schema the exporter builds without calling the schema transformers, are named once the document is whole.
        var untyped = (from schema in schemas.EnumerateObject()
                       where schema.Value.TryGetProperty("properties", out _)
                       from property in schema.Value.GetProperty("properties").EnumerateObject()
                       where !new[] { "type", "$ref", "oneOf", "anyOf", "allOf", "enum" }.Any(k => property.Value.TryGetProperty(k, out _))
                       select $"{schema.Name}.{property.Name}").ToList();
        untyped.Should().BeSubsetOf(["StreamReplay.state"]);
        TypeOf("StreamHead", "stream").Should().Equal("string");
    }

    private static string[] Types(JsonElement schema) =>
        schema.GetProperty("type") is { ValueKind: JsonValueKind.Array } many ? [.. many.EnumerateArray().Select(t => t.GetString()!)] : [schema.GetProperty("type").GetString()!];
}
