using System.Net;
using System.Text.Json;
using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Governance;
using DthGrains.Grains.Platform;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;

namespace DthGrains.Integration.Tests.Governance;

/// <summary>The access workflow on the seeded host (which plays Charité and Inria, each owning one synthetic dataset).</summary>
[Collection(HostCollection.Name)]
public sealed class GovernanceApiTests(HostFixture fixture)
{
    private const string CharitéData = "charite-t1d-synthetic";
    private const string InriaData = "inria-t1d-synthetic";

    private TestHost Host => fixture.Host;

    private async Task SeedReady() =>
        await Eventually.Until(async () => (await Host.ClientAs("researcher", "tum").GetAsync($"/api/catalogue/resources/{InriaData}")).StatusCode,
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(90), "the demo catalogue to be seeded");

    private async Task<(string Id, string ETag)> Apply(HttpClient researcher, object application)
    {
        var response = await researcher.PostAsync("/api/access/requests", Body(application));
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return ((await JsonOf(response)).GetProperty("id").GetString()!, response.Headers.ETag!.Tag);
    }

    private async Task<int> Events(string stream) => (await Host.Services.GetRequiredService<EventLog>().ReadAsync(stream)).Count;

    [Fact]
    public async Task Two_owners_approve_the_researcher_reads_a_steward_revokes_and_the_next_read_is_refused()
    {
        await SeedReady();
        var carla = Host.ClientAs("researcher", "tum", subject: $"carla-{Guid.NewGuid():N}"[..16]);
        var (id, etag) = await Apply(carla, Application([CharitéData, InriaData]));

        var alice = Host.ClientAs("steward", "charite", subject: "alice-steward");
        var bruno = Host.ClientAs("steward", "inria", subject: "bruno-steward");
        var aliceInbox = await JsonOf(await alice.GetAsync("/api/access/requests?pending=true&limit=100"));
        aliceInbox.GetProperty("items").EnumerateArray().Should().Contain(r => r.GetProperty("id").GetString() == id);

        var first = await alice.SendAsync(Decision(id, etag, approve: true, conditions: ["Results are published only in aggregate."]));
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        (await JsonOf(first)).GetProperty("status").GetString().Should().Be("under-review");
        (await JsonOf(await alice.GetAsync("/api/access/requests?pending=true&limit=100"))).GetProperty("items").EnumerateArray()
            .Should().NotContain(r => r.GetProperty("id").GetString() == id, "Charité has decided");

        var second = await bruno.SendAsync(Decision(id, first.Headers.ETag!.Tag, approve: true));
        second.StatusCode.Should().Be(HttpStatusCode.OK);
        var approved = await JsonOf(second);
        approved.GetProperty("status").GetString().Should().Be("approved");
        var grant = approved.GetProperty("grant");
        grant.GetProperty("status").GetString().Should().Be("active");
        grant.GetProperty("conditions").EnumerateArray().Select(c => c.GetString()).Should().Contain("Results are published only in aggregate.");
        grant.GetProperty("datasetVersions").GetProperty(CharitéData).GetString().Should().Be("1.0.0");

        (await carla.GetAsync($"/api/catalogue/resources/{CharitéData}/versions/1.0.0/payload?purpose=scientific-research")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await carla.GetAsync($"/api/catalogue/resources/{InriaData}/versions/1.0.0/payload?purpose=scientific-research")).StatusCode.Should().Be(HttpStatusCode.OK);

        var revoke = await alice.SendAsync(WithIfMatch(HttpMethod.Post, $"/api/access/requests/{id}/revoke", new { reason = "Breach of the aggregate-only condition." }, second.Headers.ETag!.Tag));
        revoke.StatusCode.Should().Be(HttpStatusCode.OK);
        (await JsonOf(revoke)).GetProperty("grant").GetProperty("status").GetString().Should().Be("revoked");

        var refused = await carla.GetAsync($"/api/catalogue/resources/{InriaData}/versions/1.0.0/payload?purpose=scientific-research");
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await refused.Content.ReadAsStringAsync()).Should().Contain("revoked");

        // The auditor replays the request as of its approval (version 5: submitted, two decisions, approved, granted).
        var auditor = Host.ClientAs("auditor", "dth-oversight");
        var asOfApproval = await JsonOf(await auditor.GetAsync($"/api/audit/streams/access-request:{id}?version=5"));
        asOfApproval.GetProperty("state").GetProperty("status").GetString().Should().Be("approved");
        asOfApproval.GetProperty("state").GetProperty("grant").GetProperty("status").GetString().Should().Be("active");
        asOfApproval.GetProperty("chainIntact").GetBoolean().Should().BeTrue();

        var history = await JsonOf(await carla.GetAsync($"/api/access/requests/{id}/history"));
        history.EnumerateArray().Select(e => e.GetProperty("eventType").GetString()).Should().Equal(
            "governance.application_submitted", "governance.decision_recorded", "governance.decision_recorded",
            "governance.application_approved", "governance.access_granted", "governance.access_revoked");
    }

    /// <summary>The README's walk-through applies with schemas/governance/application.example.json: it must stay a whole application the API accepts.</summary>
    [Fact]
    public async Task The_example_application_of_the_README_is_accepted_for_both_synthetic_datasets()
    {
        await SeedReady();
        var json = await File.ReadAllTextAsync(Path.Combine(Repository.Root(), "schemas", "governance", "application.example.json"));
        var response = await Host.ClientAs("researcher", "tum").PostAsync("/api/access/requests", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var view = await JsonOf(response);
        view.GetProperty("status").GetString().Should().Be("submitted");
        view.GetProperty("reviews").EnumerateArray().Select(r => r.GetProperty("institution").GetString()).Should().BeEquivalentTo("charite", "inria");
    }

    /// <summary>
    /// Keys are not secret (every envelope shows its key): another steward sending the identical decision under the same
    /// key is not answered with the first steward's result, and their own decision stays theirs to make.
    /// </summary>
    [Fact]
    public async Task An_idempotency_key_used_by_one_steward_does_not_answer_another_steward_s_identical_request()
    {
        await SeedReady();
        var (id, etag) = await Apply(Host.ClientAs("researcher", "tum", subject: $"carla-{Guid.NewGuid():N}"[..16]), Application([CharitéData, InriaData]));
        var key = $"decide-{Guid.NewGuid():N}";
        HttpRequestMessage Keyed()
        {
            var request = Decision(id, etag, approve: true);
            request.Headers.Add("Idempotency-Key", key);
            return request;
        }

        (await Host.ClientAs("steward", "charite", subject: "alice-steward").SendAsync(Keyed())).StatusCode.Should().Be(HttpStatusCode.OK);
        var other = await Host.ClientAs("steward", "inria", subject: "bruno-steward").SendAsync(Keyed());

        other.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity, "the key was used by another caller");
        (await JsonOf(other)).GetProperty("detail").GetString().Should().Contain("another caller");
        var view = await JsonOf(await Host.ClientAs("steward", "inria", subject: "bruno-steward").GetAsync($"/api/access/requests/{id}"));
        view.GetProperty("status").GetString().Should().Be("under-review", "Inria has not decided");
        (await Events(GovernanceEventTypes.StreamOf(id))).Should().Be(2, "submitted and Charité's decision only");
    }

    [Fact]
    public async Task Two_stewards_deciding_one_slot_at_once_give_exactly_one_decision_200_times()
    {
        await SeedReady();
        var researcher = Host.ClientAs("researcher", "tum");
        var stewards = new[] { Host.ClientAs("steward", "charite", subject: "alice-steward"), Host.ClientAs("steward", "charite", subject: "anna-steward") };
        for (var round = 0; round < 200; round++)
        {
            var (id, etag) = await Apply(researcher, Application([CharitéData]));
            var responses = await Task.WhenAll(stewards.Select((s, i) => s.SendAsync(Decision(id, etag, approve: i == 0, reason: $"steward {i}"))));

            responses.Count(r => r.StatusCode == HttpStatusCode.OK).Should().Be(1, "round {0}", round);
            var loser = responses.Single(r => r.StatusCode != HttpStatusCode.OK);
            loser.StatusCode.Should().Be(HttpStatusCode.Conflict, "round {0}", round);
            (await JsonOf(loser)).GetProperty("detail").GetString().Should().Contain("already decided");
            var events = await Host.Services.GetRequiredService<EventLog>().ReadAsync(GovernanceEventTypes.StreamOf(id));
            events.Count(e => e.Data is DecisionRecorded).Should().Be(1, "round {0}", round);
        }
    }

    [Fact]
    public async Task Reads_without_a_matching_live_grant_are_refused_and_every_refusal_is_recorded()
    {
        await SeedReady();
        var subject = $"dora-{Guid.NewGuid():N}"[..16];
        var dora = Host.ClientAs("researcher", "tum", subject: subject);
        string Payload(string dataset, string purpose) => $"/api/catalogue/resources/{dataset}/versions/1.0.0/payload?purpose={purpose}";
        var logBefore = await Events(CatalogueEventTypes.AccessLogOf("charite", CharitéData));

        (await dora.GetAsync(Payload(CharitéData, "scientific-research"))).StatusCode.Should().Be(HttpStatusCode.Forbidden, "no grant at all");

        // A grant for Charité's dataset, simulate only, scientific research.
        var (id, etag) = await Apply(dora, Application([CharitéData], actions: ["simulate"]));
        (await Host.ClientAs("steward", "charite").SendAsync(Decision(id, etag, approve: true))).EnsureSuccessStatusCode();

        async Task<string> Refusal(string path)
        {
            var response = await dora.GetAsync(path);
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, path);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("issue")[0].GetProperty("diagnostics").GetString()!;
        }
        (await Refusal(Payload(CharitéData, "scientific-research"))).Should().Contain("not read", "the grant permits simulate only");
        (await Refusal(Payload(CharitéData, "product-development"))).Should().Contain("purpose");
        (await Refusal(Payload(InriaData, "scientific-research"))).Should().Contain("No access grant", "the grant covers another dataset");

        var log = await Host.Services.GetRequiredService<EventLog>().ReadAsync(CatalogueEventTypes.AccessLogOf("charite", CharitéData));
        log.Skip(logBefore).Select(e => e.Data).OfType<AccessDenied>().Where(d => d.Actor == subject).Should().HaveCount(3);
    }

    [Fact]
    public async Task A_steward_of_another_institution_cannot_decide_and_researchers_do_not_see_each_others_applications()
    {
        await SeedReady();
        var (id, etag) = await Apply(Host.ClientAs("researcher", "tum", subject: "owner-researcher"), Application([CharitéData]));

        (await Host.ClientAs("steward", "inria").SendAsync(Decision(id, etag, approve: true))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Host.ClientAs("steward", "bsc").SendAsync(Decision(id, etag, approve: true))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Host.ClientAs("researcher", "tum", subject: "someone-else").GetAsync($"/api/access/requests/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await JsonOf(await Host.ClientAs("researcher", "tum", subject: "someone-else").GetAsync("/api/access/requests"))).GetProperty("items").EnumerateArray()
            .Should().NotContain(r => r.GetProperty("id").GetString() == id);
        (await Events(GovernanceEventTypes.StreamOf(id))).Should().Be(1);
    }

    [Theory]
    [InlineData("status", "\"approved\"")]
    [InlineData("approvedBy", "\"alice\"")]
    [InlineData("institution", "\"charite\"")]
    public async Task Extra_members_in_command_bodies_are_rejected(string member, string value)
    {
        await SeedReady();
        var json = JsonSerializer.Serialize(Application([CharitéData]))[..^1] + $",\"{member}\":{value}}}";
        var response = await Host.ClientAs("researcher", "tum").PostAsync("/api/access/requests", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);

        var (id, etag) = await Apply(Host.ClientAs("researcher", "tum"), Application([CharitéData]));
        var decision = new HttpRequestMessage(HttpMethod.Post, $"/api/access/requests/{id}/decision")
        {
            Content = new StringContent($"{{\"approve\":true,\"reason\":\"ok\",\"{member}\":{value}}}", System.Text.Encoding.UTF8, "application/json"),
        };
        decision.Headers.TryAddWithoutValidation("If-Match", etag);
        (await Host.ClientAs("steward", "charite").SendAsync(decision)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Events(GovernanceEventTypes.StreamOf(id))).Should().Be(1);
    }

    [Fact]
    public async Task Decisions_need_if_match_and_a_repeated_command_with_the_same_idempotency_key_appends_nothing()
    {
        await SeedReady();
        var (id, etag) = await Apply(Host.ClientAs("researcher", "tum"), Application([CharitéData, InriaData]));
        var noIfMatch = new HttpRequestMessage(HttpMethod.Post, $"/api/access/requests/{id}/decision") { Content = Body(new { approve = true, reason = "ok" }) };
        (await Host.ClientAs("steward", "charite").SendAsync(noIfMatch)).StatusCode.Should().Be((HttpStatusCode)428);

        async Task<HttpResponseMessage> Once()
        {
            var request = Decision(id, etag, approve: true);
            request.Headers.Add("Idempotency-Key", $"decide-{id}");
            return await Host.ClientAs("steward", "charite").SendAsync(request);
        }
        var first = await Once();
        var repeat = await Once();
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        repeat.StatusCode.Should().Be(HttpStatusCode.OK);
        repeat.Headers.ETag!.Tag.Should().Be(first.Headers.ETag!.Tag);
        (await Events(GovernanceEventTypes.StreamOf(id))).Should().Be(2);
    }

    [Fact]
    public async Task An_application_returned_for_changes_is_resubmitted_and_refusal_says_why()
    {
        await SeedReady();
        var researcher = Host.ClientAs("researcher", "tum", subject: "rita-researcher");
        var (id, etag) = await Apply(researcher, Application([CharitéData]));
        var steward = Host.ClientAs("steward", "charite");
        var returned = await steward.SendAsync(WithIfMatch(HttpMethod.Post, $"/api/access/requests/{id}/return", new { reason = "Describe the safeguards in more detail." }, etag));
        (await JsonOf(returned)).GetProperty("status").GetString().Should().Be("returned");

        var resubmitted = await researcher.PutAsync($"/api/access/requests/{id}", Body(Application([CharitéData])));
        resubmitted.StatusCode.Should().Be(HttpStatusCode.OK);
        var refused = await steward.SendAsync(Decision(id, resubmitted.Headers.ETag!.Tag, approve: false, reason: "Anonymised data would suffice."));
        var view = await JsonOf(refused);
        view.GetProperty("status").GetString().Should().Be("rejected");
        view.GetProperty("statusReason").GetString().Should().Contain("Anonymised data would suffice.");

        // A resubmission names an application that exists: an id of the caller's choosing creates nothing.
        var invented = $"my-own-id-{Guid.NewGuid():N}"[..24];
        (await researcher.PutAsync($"/api/access/requests/{invented}", Body(Application([CharitéData])))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Events(GovernanceEventTypes.StreamOf(invented))).Should().Be(0);
    }

    /// <summary>A member left out is not a value: a decision without 'approve' would otherwise bind as a refusal nobody made.</summary>
    [Fact]
    public async Task A_decision_or_an_application_without_a_required_member_is_refused_naming_it_and_changes_nothing()
    {
        await SeedReady();
        var researcher = Host.ClientAs("researcher", "tum", subject: "rhea-researcher");
        var (id, etag) = await Apply(researcher, Application([CharitéData]));
        var steward = Host.ClientAs("steward", "charite");
        var noApprove = await steward.SendAsync(WithIfMatch(HttpMethod.Post, $"/api/access/requests/{id}/decision", new { reason = "Fine.", conditions = new[] { "no re-identification" } }, etag));
        noApprove.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await noApprove.Content.ReadAsStringAsync()).Should().Contain("'$.approve' is required");
        (await Events(GovernanceEventTypes.StreamOf(id))).Should().Be(1, "only the submission");

        var noPurpose = new { title = "T", intendedUse = "u", expectedBenefit = "b", datasets = new[] { CharitéData }, actions = new[] { "read" }, pseudonymised = false,
            safeguards = "s", processingMonths = 6, persons = Array.Empty<string>() };
        var refused = await researcher.PostAsync("/api/access/requests", Body(noPurpose));
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).Should().Contain("'$.purpose' is required");

        var nullPerson = await researcher.PostAsync("/api/access/requests", Body(new { title = "T", purpose = "scientific-research", intendedUse = "u", expectedBenefit = "b",
            datasets = new[] { CharitéData }, actions = new[] { "read" }, pseudonymised = false, safeguards = "s", processingMonths = 6, persons = new string?[] { null } }));
        nullPerson.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await nullPerson.Content.ReadAsStringAsync()).Should().Contain("'$.persons[0]' must not be null");
    }

    [Fact]
    public async Task Invalid_applications_name_each_field()
    {
        await SeedReady();
        var bad = new
        {
            title = "", purpose = "scientific-research", intendedUse = "", expectedBenefit = "b", datasets = new[] { "no-such-dataset", "hovorka-2004" },
            actions = new[] { "read" }, pseudonymised = true, safeguards = "s", processingMonths = 0, persons = Array.Empty<string>(),
        };
        var response = await Host.ClientAs("researcher", "tum").PostAsync("/api/access/requests", Body(bad));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await JsonOf(response)).GetProperty("errors").EnumerateObject().Select(p => p.Name)
            .Should().BeEquivalentTo("title", "intendedUse", "processingMonths", "pseudonymisationJustification", "datasets");
    }

    /// <summary>A holder's grants come newest first, a page at a time, with a link to the next page while there is one.</summary>
    [Fact]
    public async Task Grants_are_listed_a_page_at_a_time_newest_first()
    {
        await Twins.TwinTestData.SeedReady(Host);
        var researcher = Host.ClientAs("researcher", "tum", subject: $"gina-{Guid.NewGuid():N}"[..16]);
        var granted = new List<string>();
        for (var i = 0; i < 3; i++) granted.Add((await Twins.TwinTestData.GrantAsync(Host, researcher)).GrantId);

        var first = await researcher.GetAsync("/api/access/grants?limit=2");
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        var next = first.Headers.GetValues("Link").Single();
        next.Should().Be("</api/access/grants?offset=2&limit=2>; rel=\"next\"");
        var second = await researcher.GetAsync(next.Split('<', '>')[1]);
        second.Headers.Contains("Link").Should().BeFalse("the last page has no next");
        var ids = (await JsonOf(first)).EnumerateArray().Concat((await JsonOf(second)).EnumerateArray()).Select(g => g.GetProperty("id").GetString()).ToList();
        ids.Should().BeEquivalentTo(granted).And.OnlyHaveUniqueItems();
        (await JsonOf(await researcher.GetAsync("/api/access/grants"))).EnumerateArray().Select(g => g.GetProperty("id").GetString()).Should().Equal(ids);
        (await researcher.GetAsync("/api/access/grants?limit=501")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }
}
