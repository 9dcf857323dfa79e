using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Federation;

/// <summary>`GET /api/cluster/silos` and `dth cluster silos` on the standalone host: who may see the silos, and what they see.</summary>
[Collection(HostCollection.Name)]
public sealed class ClusterApiTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Theory]
    [InlineData("platform-admin", "bsc")]
    [InlineData("institution-admin", "charite")]
    [InlineData("auditor", "dth-oversight")]
    public async Task Operators_and_auditors_see_the_live_silo_with_its_institutions_role_and_load(string role, string institution)
    {
        var silos = await Host.ClientAs(role, institution).GetFromJsonAsync<JsonElement>("/api/cluster/silos");
        var self = silos.EnumerateArray().Single(s => s.GetProperty("thisSilo").GetBoolean());
        self.GetProperty("status").GetString().Should().Be("active");
        self.GetProperty("institutions").EnumerateArray().Select(i => i.GetString()).Should().Contain("charite");
        self.GetProperty("role").GetString().Should().NotBeNullOrEmpty();
        self.GetProperty("load").GetProperty("activations").GetInt32().Should().BePositive();
    }

    [Theory]
    [InlineData("researcher", "tum")]
    [InlineData("steward", "charite")]
    public async Task Researchers_and_stewards_are_refused_with_a_problem(string role, string institution)
    {
        var response = await Host.ClientAs(role, institution).GetAsync("/api/cluster/silos");
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task The_cli_prints_the_silos_as_a_table()
    {
        var (code, output) = await CliRunner.RunAsync(Host.BaseAddress, Host.Token("platform-admin", "bsc", "ops-admin"), "cluster", "silos");
        code.Should().Be(0, output);
        output.Should().Contain("(this)").And.Contain("charite").And.Contain("active").And.Contain("live").And.MatchRegex(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC");
    }
}
