using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Ecosystem;

/// <summary>Bad input gets a clear 4xx with ProblemDetails, and changes nothing (RELIABILITY.md rows 16-18).</summary>
[Collection(HostCollection.Name)]
public sealed class EcosystemApiGuardTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ProblemOf(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Theory]
    [InlineData("..%2F..%2Fetc")]
    [InlineData("%2e%2e%2f")]
    [InlineData("ch%D0%B0rite")]
    [InlineData("UPPER")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Bogus_ids_get_400_without_internals(string id)
    {
        var response = await Host.ClientAs("researcher", "tum").GetAsync($"/api/ecosystem/organisations/{id}");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await ProblemOf(response);
        problem.GetProperty("errors").TryGetProperty("id", out _).Should().BeTrue();
        problem.ToString().Should().NotContain("Exception").And.NotContain("DthGrains.");
    }

    [Fact]
    public async Task A_nul_in_the_path_is_refused_by_the_server_before_any_route_runs()
    {
        var response = await Host.ClientAs("researcher", "tum").GetAsync("/api/ecosystem/organisations/a%00b");
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unknown_ids_get_404()
    {
        var response = await Host.ClientAs("researcher", "tum").GetAsync("/api/ecosystem/organisations/never-registered");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await ProblemOf(response)).GetProperty("status").GetInt32().Should().Be(404);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("approvedBy")]
    [InlineData("institution")]
    [InlineData("version")]
    public async Task Extra_members_in_a_command_body_are_rejected_and_nothing_is_recorded(string member)
    {
        var id = $"mass-{Guid.NewGuid():N}"[..20];
        var response = await Host.ClientAs("platform-admin", "bsc").PostAsync("/api/ecosystem/organisations",
            Json($$"""{"id":"{{id}}","name":"Mass","type":"sme","country":"FR","{{member}}":"x"}"""));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ProblemOf(response)).GetProperty("errors").TryGetProperty($"$.{member}", out _).Should().BeTrue();
        (await Host.ClientAs("auditor").GetAsync($"/api/ecosystem/organisations/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Every_invalid_field_is_reported_at_once()
    {
        var response = await Host.ClientAs("platform-admin", "bsc").PostAsync("/api/ecosystem/organisations",
            Json("""{"id":"field-errors","name":"","type":"sme","country":"germany","website":"ftp://x"}"""));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = (await ProblemOf(response)).GetProperty("errors");
        errors.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("name", "country", "website");
    }

    /// <summary>
    /// A member left out is not a value: an organisation's type would bind as its first value (an update quietly made it
    /// a hospital), a relation's kind likewise; a person's roles left out were compared before they were checked (a 500).
    /// </summary>
    [Fact]
    public async Task Left_out_types_kinds_and_roles_are_400s_naming_them_and_change_nothing()
    {
        var admin = Host.ClientAs("platform-admin", "bsc");
        var id = $"left-out-{Guid.NewGuid():N}"[..20];
        (await admin.PostAsync("/api/ecosystem/organisations", Json($$"""{"id":"{{id}}","name":"Left Out","type":"sme","country":"FR"}"""))).EnsureSuccessStatusCode();
        var noType = await admin.PutAsync($"/api/ecosystem/organisations/{id}", Json("""{"name":"Left Out","country":"FR"}"""));
        noType.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ProblemOf(noType)).GetProperty("detail").GetString().Should().Contain("'$.type' is required");
        (await admin.GetStringAsync($"/api/ecosystem/organisations/{id}")).Should().Contain("\"type\":\"sme\"", "the organisation kept its type");
        (await admin.PostAsync("/api/ecosystem/organisations", Json("""{"name":"No Type At All","country":"FR"}"""))).StatusCode.Should().Be(HttpStatusCode.BadRequest);

        var person = $"p-{Guid.NewGuid():N}"[..20];
        (await admin.PostAsync("/api/ecosystem/people", Json($$"""{"id":"{{person}}","name":"Someone","affiliation":"inria","roles":["researcher"]}"""))).EnsureSuccessStatusCode();
        var noRoles = await admin.PutAsync($"/api/ecosystem/people/{person}", Json("""{"name":"Someone","affiliation":"inria"}"""));
        noRoles.StatusCode.Should().Be(HttpStatusCode.BadRequest);

        var noKind = await admin.PostAsync("/api/ecosystem/relations", Json($$"""{"from":"person:{{person}}","to":"organisation:{{id}}"}"""));
        noKind.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ProblemOf(noKind)).GetProperty("detail").GetString().Should().Contain("'$.kind' is required");
    }

    [Fact]
    public async Task A_wrong_enum_value_names_the_allowed_values()
    {
        var response = await Host.ClientAs("platform-admin", "bsc").PostAsync("/api/ecosystem/organisations",
            Json("""{"id":"enum-check","name":"Enum","type":"castle","country":"FR"}"""));
        var detail = (await ProblemOf(response)).GetProperty("detail").GetString();
        detail.Should().Contain("hpc-centre").And.Contain("patient-organisation").And.NotContain("DthGrains");
    }

    [Theory]
    [InlineData("{\"id\":\"trunc\",\"name\":")]
    [InlineData("not json at all")]
    [InlineData("[1,2,3]")]
    public async Task Malformed_json_gets_400(string body)
    {
        var response = await Host.ClientAs("platform-admin", "bsc").PostAsync("/api/ecosystem/organisations", Json(body));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        await ProblemOf(response);
    }

    [Fact]
    public async Task Deeply_nested_json_gets_400()
    {
        var nested = string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200);
        var response = await Host.ClientAs("platform-admin", "bsc").PostAsync("/api/ecosystem/relations", Json(nested));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_oversized_body_gets_413()
    {
        var big = "{\"id\":\"big-body\",\"name\":\"" + new string('x', 2 * 1024 * 1024) + "\",\"type\":\"sme\",\"country\":\"FR\"}";
        // Expect: 100-continue, as a careful client sends a large body: the server refuses it from the headers, and the
        // body is never sent. Without it the client may still be writing the 2 MB when the server has answered and closed
        // the connection, and sees a broken pipe instead of the 413 (seen once in a full run).
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/ecosystem/organisations") { Content = Json(big) };
        request.Headers.ExpectContinue = true;
        var response = await Host.ClientAs("platform-admin", "bsc").SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task A_body_that_is_not_json_gets_a_problem_that_says_so()
    {
        var response = await Host.ClientAs("platform-admin", "bsc").PostAsync("/api/ecosystem/organisations", new StringContent("x", Encoding.UTF8, "text/plain"));
        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        (await ProblemOf(response)).GetProperty("status").GetInt32().Should().Be(415);
    }

    [Fact]
    public async Task A_researcher_may_read_but_not_write_the_map()
    {
        var researcher = Host.ClientAs("researcher", "tum");
        (await researcher.GetAsync("/api/ecosystem/organisations")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await researcher.PostAsync("/api/ecosystem/organisations", Json("""{"id":"by-researcher","name":"No","type":"sme","country":"FR"}""")))
            .StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task An_institution_admin_changes_only_their_own_institution()
    {
        var charitéAdmin = Host.ClientAs("institution-admin", "charite");
        var ownUpdate = await charitéAdmin.PutAsync("/api/ecosystem/organisations/medtwin-labs", Json("""{"name":"Hijack","type":"sme","country":"FR"}"""));
        ownUpdate.StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var person = await charitéAdmin.PostAsync("/api/ecosystem/people", Json($$"""{"id":"p-{{Guid.NewGuid():N}}","name":"Someone","affiliation":"inria","roles":["researcher"]}"""));
        person.StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var relation = await charitéAdmin.PostAsync("/api/ecosystem/relations", Json("""{"from":"organisation:inria","kind":"partner-of","to":"organisation:charite"}"""));
        relation.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task An_auditor_gets_403_on_writes()
    {
        var auditor = Host.ClientAs("auditor", "dth-oversight");
        (await auditor.PostAsync("/api/ecosystem/relations", Json("""{"from":"organisation:charite","kind":"partner-of","to":"organisation:inria"}""")))
            .StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Caller_supplied_header_ids_are_checked()
    {
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/ecosystem/organisations/charite") { Content = Json("""{"name":"x","type":"hospital","country":"DE"}""") };
        request.Headers.TryAddWithoutValidation("X-Correlation-Id", "<script>");
        var response = await Host.ClientAs("platform-admin", "bsc").SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }
}
