using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// PostgreSQL cannot store the NUL character in text or jsonb. A NUL in a query string or a JSON body is the caller's
/// mistake: 400 naming where it is, nothing stored, never a 500 (RELIABILITY rows 15-17).
/// </summary>
[Collection(HostCollection.Name)]
public sealed class StorableTextTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task A_nul_in_any_query_parameter_of_any_route_gets_400_naming_the_parameter()
    {
        var probes = (
            from o in await OpenApiOperations.ListAsync(Host)
            where o.Operation.TryGetProperty("parameters", out _)
            from parameter in o.Operation.GetProperty("parameters").EnumerateArray()
            where parameter.GetProperty("in").GetString() == "query"
            select (o.Method, o.Path, Parameter: parameter.GetProperty("name").GetString()!)).ToList();
        probes.Should().Contain(("GET", "/api/catalogue/resources", "q")).And.Contain(("GET", "/api/audit/lineage/fhir", "entity"));

        using var client = OpenApiOperations.ProbingClient(Host, "nul-prober");
        foreach (var (method, path, parameter) in probes)
        {
            var url = Regex.Replace(path, "{[^}]+}", "nul-probe") + $"?{parameter}=a%00b";
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (method is "POST" or "PUT") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            var response = await client.SendAsync(request);

            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, "{0} {1} with a NUL in '{2}'", method, path, parameter);
            var body = await response.Content.ReadAsStringAsync();
            body.Should().Contain($"'{parameter}' must not contain the NUL character");
            // FHIR routes answer in FHIR: the exports, and a dataset's payload (a JSON body here is no Bundle upload).
            var fhir = path.EndsWith("/fhir", StringComparison.Ordinal) || path.EndsWith("/payload", StringComparison.Ordinal);
            response.Content.Headers.ContentType!.MediaType.Should().Be(fhir ? "application/fhir+json" : "application/problem+json", "{0} {1}", method, path);
        }

        // The platform answers the same queries without the NUL.
        (await client.GetAsync("/api/catalogue/resources?q=glucose")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync("/api/ecosystem/organisations?q=char")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_nul_in_a_json_body_gets_400_naming_the_member_and_nothing_is_recorded()
    {
        var modeller = Host.ClientAs("modeller", "charite");
        var id = $"nul-{Guid.NewGuid():N}"[..20];
        var response = await modeller.PostAsync("/api/catalogue/resources", Draft(id, "model", ModelMetadata(title: "Glucose\0model")));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        errors.GetProperty("$.metadata.title")[0].GetString().Should().Be("'$.metadata.title' must not contain the NUL character (\\u0000 or %00).");
        (await modeller.GetAsync($"/api/catalogue/resources/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        // Text that is not text: bytes that are not UTF-8, an escaped surrogate without its pair.
        foreach (var (bad, label) in new[] { (new byte[] { 0xFF, 0xFE }, "invalid UTF-8"), ("\\ud800"u8.ToArray(), "unpaired surrogate") })
        {
            var json = Encoding.UTF8.GetBytes(await Draft(id, "model", ModelMetadata(title: "TITLE")).ReadAsStringAsync());
            var at = json.AsSpan().IndexOf("TITLE"u8);
            var body = new ByteArrayContent([.. json[..at], .. bad, .. json[(at + 5)..]]);
            body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            var refused = await modeller.PostAsync("/api/catalogue/resources", body);
            refused.StatusCode.Should().Be(HttpStatusCode.BadRequest, label);
            (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("$.metadata.title")[0].GetString()
                .Should().Contain("is not valid text", label);

            // The same through a route that binds its body directly.
            var organisation = new ByteArrayContent([.. "{\"name\":\"X"u8, .. bad, .. "\",\"country\":\"DE\",\"type\":\"hospital\"}"u8]);
            organisation.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            var direct = await Host.ClientAs("platform-admin", "charite").PostAsync("/api/ecosystem/organisations", organisation);
            direct.StatusCode.Should().Be(HttpStatusCode.BadRequest, label);
            (await direct.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("$.name")[0].GetString().Should().Contain("is not valid text", label);
        }
        (await modeller.GetAsync($"/api/catalogue/resources/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        // The same draft without the NUL is taken.
        (await modeller.PostAsync("/api/catalogue/resources", Draft(id, "model", ModelMetadata(title: "Glucose model")))).StatusCode.Should().Be(HttpStatusCode.Created);
    }
}
