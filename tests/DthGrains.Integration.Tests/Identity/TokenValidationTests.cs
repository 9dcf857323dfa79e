using System.Net;
using System.Security.Cryptography;
using System.Text;
using DthGrains.Cli.Identity;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Identity;

/// <summary>Bad tokens get 401 with a Bearer challenge, and nothing is recorded as that user (RELIABILITY.md row 14).</summary>
[Collection(HostCollection.Name)]
public sealed class TokenValidationTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    private StandaloneTokens.Request Admin(DateTimeOffset? now = null, string issuer = StandaloneTokens.DefaultIssuer, string audience = StandaloneTokens.DefaultAudience) =>
        new("mallory", "Mallory", "bsc", ["platform-admin"], TimeSpan.FromMinutes(10), issuer, audience, now);

    private string Signed(StandaloneTokens.Request request) => StandaloneTokens.Mint(Host.KeyPath, request);

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static TheoryData<string> Cases() => ["expired", "wrong-issuer", "wrong-audience", "alg-none", "wrong-key", "edited-payload", "garbage"];

    private string TokenFor(string kind)
    {
        switch (kind)
        {
            case "expired": return Signed(Admin(now: DateTimeOffset.UtcNow.AddHours(-2)));
            case "wrong-issuer": return Signed(Admin(issuer: "https://evil.example"));
            case "wrong-audience": return Signed(Admin(audience: "another-api"));
            case "alg-none":
                var payload = Signed(Admin()).Split('.')[1];
                return $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{payload}.";
            case "wrong-key":
                using (var other = ECDsa.Create(ECCurve.NamedCurves.nistP256)) return StandaloneTokens.Mint(other, Admin());
            case "edited-payload":
                var parts = Signed(Admin()).Split('.');
                var edited = B64(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1]))).Replace("\"mallory\"", "\"alice\""));
                return $"{parts[0]}.{edited}.{parts[2]}";
            default: return "not-a-token";
        }
    }

    private static string Pad(string b64)
    {
        var s = b64.Replace('-', '+').Replace('_', '/');
        return s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_tokens_get_401_with_a_bearer_challenge_and_change_nothing(string kind)
    {
        var id = $"tok-{kind}";
        var response = await Host.Client(TokenFor(kind)).PostAsync("/api/ecosystem/organisations",
            new StringContent($$"""{"id":"{{id}}","name":"Forged","type":"sme","country":"FR"}""", Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer");
        response.Headers.WwwAuthenticate.Single().Parameter.Should().Contain("invalid_token");
        (await Host.ClientAs("auditor").GetAsync($"/api/ecosystem/organisations/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task No_token_gets_401_that_says_how_to_get_one()
    {
        var response = await Host.Client().GetAsync("/api/ecosystem/graph");
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await response.Content.ReadAsStringAsync()).Should().Contain("dth token");
    }

    /// <summary>On FHIR routes a refusal written by authentication is an OperationOutcome too; elsewhere it stays ProblemDetails.</summary>
    [Theory]
    [InlineData("/api/catalogue/resources/charite-t1d-synthetic/versions/1.0.0/payload")]
    [InlineData("/api/audit/lineage/fhir?entity=access-request:x")]
    [InlineData("/api/twins/some-twin/fhir")]
    public async Task No_token_on_a_fhir_route_gets_an_operation_outcome(string path)
    {
        var response = await Host.Client().GetAsync(path);
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/fhir+json");
        var outcome = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        outcome.GetProperty("resourceType").GetString().Should().Be("OperationOutcome");
        outcome.GetProperty("issue")[0].GetProperty("code").GetString().Should().Be("login");
        outcome.GetProperty("issue")[0].GetProperty("diagnostics").GetString().Should().Contain("dth token");

        var plain = await Host.Client().GetAsync("/api/catalogue/resources");
        plain.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task Health_openapi_and_reference_need_no_token()
    {
        var anonymous = Host.Client();
        (await anonymous.GetAsync("/health/live")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await anonymous.GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await anonymous.GetAsync("/openapi/v1.json")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await anonymous.GetAsync("/reference")).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
