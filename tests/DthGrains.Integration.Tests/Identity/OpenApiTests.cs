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
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToList();

        routes.Should().NotBeEmpty();
        documented.Should().Contain(routes);
    }
}
