using System.Net;
using System.Text.Json;
using Hl7.Fhir.Serialization;
using DthGrains.Integration.Tests.Infrastructure;
using Hl7.Fhir.Model;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;
using Task = System.Threading.Tasks.Task;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// The auditor's accountability views on the seeded host: decision context, lineage (graph, PROV-JSON, FHIR) and the
/// data-subject access log, after a real access workflow (two owners approve, a read, a refused read, a revocation).
/// </summary>
[Collection(HostCollection.Name)]
public sealed class LineageApiTests(HostFixture fixture)
{
    private const string CharitéData = "charite-t1d-synthetic";
    private const string InriaData = "inria-t1d-synthetic";

    private TestHost Host => fixture.Host;

    private static T Parse<T>(string json) where T : Resource => (T)new FhirJsonDeserializer(new DeserializerSettings()).DeserializeResource(json);

    private HttpClient Auditor => Host.ClientAs("auditor", "dth-oversight", subject: "dan-auditor");

    /// <summary>One workflow per test: its request id, the researcher, the grant, and a subject of Charité's data.</summary>
    private async Task<(string Id, string Researcher, string Pseudonym)> Workflow()
    {
        await Eventually.Until(async () => (await Host.ClientAs("researcher", "tum").GetAsync($"/api/catalogue/resources/{InriaData}")).StatusCode,
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(90), "the demo catalogue to be seeded");
        var subject = $"carla-{Guid.NewGuid():N}"[..16];
        var carla = Host.ClientAs("researcher", "tum", subject: subject);
        var submitted = await carla.PostAsync("/api/access/requests", Body(Application([CharitéData, InriaData])));
        submitted.StatusCode.Should().Be(HttpStatusCode.Created);
        var id = (await JsonOf(submitted)).GetProperty("id").GetString()!;

        var first = await Host.ClientAs("steward", "charite", subject: "alice-steward").SendAsync(Decision(id, submitted.Headers.ETag!.Tag, approve: true, conditions: ["Aggregate results only."]));
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        var second = await Host.ClientAs("steward", "inria", subject: "bruno-steward").SendAsync(Decision(id, first.Headers.ETag!.Tag, approve: true));
        second.StatusCode.Should().Be(HttpStatusCode.OK);

        var read = await carla.GetAsync($"/api/catalogue/resources/{CharitéData}/versions/1.0.0/payload?purpose=scientific-research");
        read.StatusCode.Should().Be(HttpStatusCode.OK);
        var bundle = Parse<Bundle>(await read.Content.ReadAsStringAsync());
        var pseudonym = bundle.Entry.Select(e => e.Resource).OfType<Patient>().First().Id!;
        // A purpose is a code, recorded with the read: free text is refused before anything is read or recorded.
        var prose = await carla.GetAsync($"/api/catalogue/resources/{CharitéData}/versions/1.0.0/payload?purpose={Uri.EscapeDataString("because I want to")}");
        prose.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await prose.Content.ReadAsStringAsync()).Should().Contain("OperationOutcome").And.Contain("'purpose' is a code");

        // Someone without a grant is refused; the refusal names the same subjects.
        var stranger = Host.ClientAs("researcher", "tum", subject: $"eve-{Guid.NewGuid():N}"[..14]);
        (await stranger.GetAsync($"/api/catalogue/resources/{CharitéData}/versions/1.0.0/payload?purpose=scientific-research")).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var revoked = await Host.ClientAs("steward", "charite", subject: "alice-steward")
            .SendAsync(WithIfMatch(HttpMethod.Post, $"/api/access/requests/{id}/revoke", new { reason = "Project ended early." }, second.Headers.ETag!.Tag));
        revoked.StatusCode.Should().Be(HttpStatusCode.OK);
        return (id, subject, pseudonym);
    }

    [Fact]
    public async Task Each_decision_carries_what_the_steward_saw_and_the_ledger_bears_it_out()
    {
        var (id, _, _) = await Workflow();
        var response = await Auditor.GetAsync($"/api/audit/access-requests/{id}/decisions");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var decisions = (await JsonOf(response)).EnumerateArray().ToList();
        decisions.Select(d => d.GetProperty("institution").GetString()).Should().Equal("charite", "inria");
        decisions.Select(d => d.GetProperty("context").GetProperty("applicationVersion").GetInt64()).Should().Equal(1, 2);
        foreach (var d in decisions)
        {
            var context = d.GetProperty("context");
            context.GetProperty("policy").GetProperty("id").GetString().Should().Be("dth-access-policy");
            context.GetProperty("policy").GetProperty("digest").GetString().Should().StartWith("sha256:");
            var seen = context.GetProperty("datasets").EnumerateArray().ToList();
            seen.Select(s => s.GetProperty("id").GetString()).Should().BeEquivalentTo([CharitéData, InriaData]);
            seen.Should().OnlyContain(s => s.GetProperty("pinnedVersion").GetString() == "1.0.0" && s.GetProperty("metadataVersion").GetInt64() > 0
                && s.GetProperty("status").GetString() == "published");
            d.GetProperty("checks").EnumerateArray().Should().HaveCount(5, "the chain, the application version, two datasets' metadata versions, the policy").And.OnlyContain(c => c.GetProperty("agrees").GetBoolean());
        }

        // The replay as of the approval shows the same context inside the decision events.
        var replay = await JsonOf(await Auditor.GetAsync($"/api/audit/streams/access-request:{id}?version=5"));
        replay.GetProperty("state").GetProperty("status").GetString().Should().Be("approved");
        replay.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("eventType").GetString() == "governance.decision_recorded")
            .Should().HaveCount(2).And.OnlyContain(e => e.GetProperty("body").GetProperty("context").GetProperty("datasets").GetArrayLength() == 2);

        (await Auditor.GetAsync("/api/audit/access-requests/no-such-request/decisions")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Auditor.GetAsync("/api/audit/access-requests/Bad_Id/decisions")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Host.ClientAs("researcher", "tum").GetAsync($"/api/audit/access-requests/{id}/decisions")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_lineage_of_an_application_runs_from_the_dataset_releases_through_the_decisions_to_the_grant_and_its_uses()
    {
        var (id, researcher, _) = await Workflow();
        var response = await Auditor.GetAsync($"/api/audit/lineage?entity=access-request:{id}&depth=6");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var lineage = await JsonOf(response);
        var graph = lineage.GetProperty("graph");
        var nodes = graph.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("id").GetString()!, n => n);
        var edges = graph.GetProperty("edges").EnumerateArray()
            .Select(e => (From: e.GetProperty("from").GetString()!, Relation: e.GetProperty("relation").GetString()!, To: e.GetProperty("to").GetString()!)).ToList();

        var application = $"access-request:{id}";
        var grant = $"grant:grant-{id}";
        nodes.Should().ContainKeys(application, grant, $"resource:{CharitéData}@1.0.0", $"resource:{InriaData}@1.0.0", "person:alice-steward",
            "person:bruno-steward", $"person:{researcher}", "organisation:charite", "policy:dth-access-policy@1.0.0");
        nodes[grant].GetProperty("kind").GetString().Should().Be("entity");
        var decisions = edges.Where(e => e.Relation == "used" && e.To == application && e.From.Contains("/decision/", StringComparison.Ordinal)).Select(e => e.From).ToList();
        decisions.Should().HaveCount(2);
        edges.Should().Contain((grant, "wasGeneratedBy", decisions.Single(d => d.Contains("/decision/inria/", StringComparison.Ordinal))), "the last approval issued the grant");
        edges.Should().Contain((grant, "wasDerivedFrom", application));
        edges.Should().Contain((decisions[0], "wasAssociatedWith", "person:alice-steward"));
        edges.Should().Contain(("person:alice-steward", "actedOnBehalfOf", "organisation:charite"));
        edges.Should().Contain(e => e.From.StartsWith(application + "/submission/", StringComparison.Ordinal) && e.Relation == "used" && e.To == $"resource:{CharitéData}@1.0.0");
        edges.Should().Contain(e => e.Relation == "wasGeneratedBy" && e.From == $"resource:{CharitéData}@1.0.0", "the dataset version's release is upstream");
        // Downstream: the researcher's read used the grant; the revocation invalidated it.
        edges.Should().Contain(e => e.Relation == "used" && e.To == grant && e.From.StartsWith($"dataset-access:charite/{CharitéData}/", StringComparison.Ordinal));
        edges.Should().Contain((grant, "wasInvalidatedBy", $"{grant}/revocation"));

        // Every edge names a ledger event that is in the evidence.
        var evidence = lineage.GetProperty("evidence").EnumerateArray().Select(e => (e.GetProperty("stream").GetString(), e.GetProperty("version").GetInt64())).ToHashSet();
        graph.GetProperty("edges").EnumerateArray().Should().OnlyContain(e => evidence.Contains(ValueTuple.Create(e.GetProperty("stream").GetString(), e.GetProperty("version").GetInt64())));
    }

    [Fact]
    public async Task Prov_json_and_the_fhir_bundle_carry_the_lineage_and_parse()
    {
        var (id, _, _) = await Workflow();
        var prov = await Auditor.GetAsync($"/api/audit/lineage/prov?entity=grant:grant-{id}");
        prov.StatusCode.Should().Be(HttpStatusCode.OK);
        var doc = await JsonOf(prov);
        doc.GetProperty("prefix").GetProperty("prov").GetString().Should().Be("http://www.w3.org/ns/prov#");
        doc.GetProperty("entity").TryGetProperty($"dth:grant:grant-{id}", out _).Should().BeTrue();
        doc.GetProperty("entity").TryGetProperty($"dth:access-request:{id}", out _).Should().BeTrue();
        doc.GetProperty("agent").TryGetProperty("dth:person:bruno-steward", out _).Should().BeTrue();
        doc.GetProperty("activity").EnumerateObject().Should().Contain(a => a.Name.Contains("/decision/inria/", StringComparison.Ordinal));
        var generated = doc.GetProperty("wasGeneratedBy").EnumerateObject().Select(r => r.Value).ToList();
        generated.Should().Contain(r => r.GetProperty("prov:entity").GetString() == $"dth:grant:grant-{id}"
            && r.GetProperty("prov:activity").GetString()!.Contains("/decision/inria/", StringComparison.Ordinal));
        foreach (var section in new[] { "used", "wasGeneratedBy", "wasAssociatedWith", "wasDerivedFrom", "actedOnBehalfOf" })
        {
            var relations = doc.GetProperty(section).EnumerateObject().ToList();
            relations.Should().NotBeEmpty(section);
            relations.Where(r => !r.Value.TryGetProperty("dth:stream", out var _)).Should().BeEmpty("every {0} relation names its ledger event", section);
        }
        // Every qualified name a relation uses is declared as an entity, activity or agent.
        var declared = new[] { "entity", "activity", "agent" }.SelectMany(s => doc.GetProperty(s).EnumerateObject().Select(p => p.Name)).ToHashSet();
        foreach (var section in doc.EnumerateObject().Where(p => p.Name is not ("prefix" or "entity" or "activity" or "agent")))
        foreach (var relation in section.Value.EnumerateObject())
        foreach (var role in relation.Value.EnumerateObject().Where(r => r.Name.StartsWith("prov:", StringComparison.Ordinal) && r.Name is not ("prov:time" or "prov:type")))
            declared.Should().Contain(role.Value.GetString()!, $"{section.Name} {relation.Name} refers to it");

        var fhir = await Auditor.GetAsync($"/api/audit/lineage/fhir?entity=access-request:{id}");
        fhir.StatusCode.Should().Be(HttpStatusCode.OK);
        fhir.Content.Headers.ContentType!.MediaType.Should().Be("application/fhir+json");
        var bundle = Parse<Bundle>(await fhir.Content.ReadAsStringAsync());
        var audits = bundle.Entry.Select(e => e.Resource).OfType<AuditEvent>().ToList();
        audits.Should().NotBeEmpty();
        audits.Should().OnlyContain(a => a.Agent.Count > 0 && a.Agent[0].Who!.Identifier != null && a.Agent[0].Requestor == true
            && a.Source.Observer != null && a.Entity.Count > 0 && a.Outcome != null && a.Recorded != null && a.Action != null);
        audits.Should().Contain(a => a.Subtype.Any(c => c.Code == "governance.decision_recorded") && a.Agent[0].Who!.Identifier!.Value == "alice-steward");
        audits.Should().Contain(a => a.Subtype.Any(c => c.Code == "governance.data_accessed") && a.Action == AuditEvent.AuditEventAction.R
            && a.PurposeOfEvent.Any(p => p.Coding.Any(c => c.Code == "HRESCH")));
        var provenances = bundle.Entry.Select(e => e.Resource).OfType<Hl7.Fhir.Model.Provenance>().ToList();
        provenances.Should().Contain(p => p.Target.Any(t => t.Identifier!.Value == $"grant:grant-{id}")
            && p.Agent.Any(a => a.Who!.Identifier!.Value == "person:bruno-steward" && a.OnBehalfOf!.Identifier!.Value == "organisation:inria")
            && p.Entity.Any(x => x.What!.Identifier!.Value == $"access-request:{id}"));

        // The same lineage exports with the same ids: an entry is matched across two exports.
        var again = Parse<Bundle>(await (await Auditor.GetAsync($"/api/audit/lineage/fhir?entity=access-request:{id}")).Content.ReadAsStringAsync());
        again.Id.Should().Be(bundle.Id);
        again.Entry.Select(e => e.FullUrl).Should().Equal(bundle.Entry.Select(e => e.FullUrl));
        bundle.Entry.Select(e => e.FullUrl).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task A_data_subject_sees_every_read_and_refused_read_of_their_data()
    {
        var (_, researcher, pseudonym) = await Workflow();
        var response = await Auditor.GetAsync($"/api/audit/subjects/{pseudonym}/accesses?dataset={CharitéData}&limit=10000");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var log = (await JsonOf(response)).EnumerateArray().ToList();
        var mine = log.Where(e => e.GetProperty("who").GetString() == researcher).ToList();
        mine.Should().ContainSingle().Which.GetProperty("outcome").GetString().Should().Be("read");
        mine[0].GetProperty("purpose").GetString().Should().Be("scientific-research");
        mine[0].GetProperty("grantId").GetString().Should().StartWith("grant-");
        mine[0].GetProperty("datasetVersion").GetString().Should().Be("1.0.0");
        log.Should().Contain(e => e.GetProperty("outcome").GetString() == "refused" && e.GetProperty("who").GetString()!.StartsWith("eve-", StringComparison.Ordinal)
            && e.GetProperty("reason").GetString()!.Length > 0);
        log.Should().OnlyContain(e => e.GetProperty("dataset").GetString() == CharitéData);

        var other = await JsonOf(await Auditor.GetAsync("/api/audit/subjects/no-such-subject-xyz/accesses"));
        other.GetArrayLength().Should().Be(0, "nobody touched a subject that does not exist");
    }

    /// <summary>A subject with more uses than a page sees them all, page by page, the newest included; the CLI follows the pages.</summary>
    [Fact]
    public async Task A_subject_s_log_longer_than_a_page_is_read_page_by_page_to_its_newest_entry()
    {
        var steward = Host.ClientAs("steward", "charite", subject: $"alice-{Guid.NewGuid():N}"[..16]);
        var dataset = $"ds-{Guid.NewGuid():N}"[..20];
        (await steward.PostAsync("/api/catalogue/resources", Catalogue.CatalogueTestData.Draft(dataset, "dataset", Catalogue.CatalogueTestData.RestrictedDatasetMetadata()))).EnsureSuccessStatusCode();
        (await steward.PostAsync($"/api/catalogue/resources/{dataset}/versions?version=1.0.0&notes=t", Catalogue.CatalogueTestData.AsFhir(Catalogue.CatalogueTestData.Bundle("p1")))).EnsureSuccessStatusCode();
        for (var i = 0; i < 5; i++)
            (await steward.GetAsync($"/api/catalogue/resources/{dataset}/versions/1.0.0/payload?purpose=read-{i}")).EnsureSuccessStatusCode();

        var purposes = new List<string>();
        var next = $"/api/audit/subjects/p1/accesses?dataset={dataset}&limit=2";
        var pages = 0;
        while (next is not null)
        {
            var response = await Auditor.GetAsync(next);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            purposes.AddRange((await JsonOf(response)).EnumerateArray().Select(e => e.GetProperty("purpose").GetString()!));
            next = response.Headers.TryGetValues("Link", out var links) ? links.Single().Split('<', '>')[1] : null;
            pages++;
        }
        pages.Should().Be(3);
        purposes.Should().Equal("read-0", "read-1", "read-2", "read-3", "read-4");

        var (code, output) = await CliRunner.RunAsync(Host.BaseAddress, Host.Token("auditor", "dth-oversight", "dan-auditor"), ["audit", "subject", "p1", "--dataset", dataset, "--json"]);
        code.Should().Be(0, output);
        CliRunner.JsonIn(output).GetArrayLength().Should().Be(5);
    }

    [Fact]
    public async Task The_auditor_does_it_all_with_dth_audit()
    {
        var (id, researcher, pseudonym) = await Workflow();
        var token = Host.Token("auditor", "dth-oversight", "dan-auditor");
        var folder = Directory.CreateTempSubdirectory("dth-lineage-cli-").FullName;
        try
        {
            var (code, output) = await CliRunner.RunAsync(Host.BaseAddress, token, ["audit", "decisions", id]);
            code.Should().Be(0, output);
            output.Should().Contain("charite").And.Contain("approved").And.Contain("dth-access-policy").And.Contain("✓").And.NotContain("✗");

            (code, output) = await CliRunner.RunAsync(Host.BaseAddress, token, ["audit", "lineage", $"access-request:{id}"]);
            code.Should().Be(0, output);
            output.Should().Contain("wasGeneratedBy").And.Contain("alice-steward");

            var prov = Path.Combine(folder, "lineage.prov.json");
            (code, output) = await CliRunner.RunAsync(Host.BaseAddress, token, ["audit", "lineage", $"access-request:{id}", "--format", "prov", "--out", prov]);
            code.Should().Be(0, output);
            JsonDocument.Parse(await File.ReadAllTextAsync(prov)).RootElement.GetProperty("wasGeneratedBy").EnumerateObject().Should().NotBeEmpty();

            var fhir = Path.Combine(folder, "lineage.fhir.json");
            (code, output) = await CliRunner.RunAsync(Host.BaseAddress, token, ["audit", "lineage", $"access-request:{id}", "--format", "fhir", "--out", fhir]);
            code.Should().Be(0, output);
            Parse<Bundle>(await File.ReadAllTextAsync(fhir)).Entry.Select(e => e.Resource).OfType<AuditEvent>().Should().NotBeEmpty();

            (code, output) = await CliRunner.RunAsync(Host.BaseAddress, token, ["audit", "subject", pseudonym, "--dataset", CharitéData]);
            code.Should().Be(0, output);
            output.Should().Contain(researcher).And.Contain("refused").And.Contain("│ Grant").And.Contain("Why refused", "a refusal's reason has its own column");

            (code, output) = await CliRunner.RunAsync(Host.BaseAddress, token, ["audit", "lineage", "access-request:never-was"]);
            code.Should().NotBe(0);
            output.Should().Contain("never-was");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("/api/audit/lineage", HttpStatusCode.BadRequest)]
    [InlineData("/api/audit/lineage?entity=access-request:x&depth=0", HttpStatusCode.BadRequest)]
    [InlineData("/api/audit/lineage?entity=access-request:x&depth=99", HttpStatusCode.BadRequest)]
    [InlineData("/api/audit/lineage?entity=%20drop%20table", HttpStatusCode.BadRequest)]
    [InlineData("/api/audit/lineage?entity=access-request:never-was", HttpStatusCode.NotFound)]
    [InlineData("/api/audit/lineage/prov?entity=access-request:never-was", HttpStatusCode.NotFound)]
    [InlineData("/api/audit/subjects/bad%20name/accesses", HttpStatusCode.BadRequest)]
    [InlineData("/api/audit/subjects/p1/accesses?limit=0", HttpStatusCode.BadRequest)]
    [InlineData("/api/audit/subjects/p1/accesses?after=-1", HttpStatusCode.BadRequest)]
    public async Task Bad_lineage_queries_get_a_problem_naming_the_fix(string path, HttpStatusCode status)
    {
        var response = await Auditor.GetAsync(path);
        response.StatusCode.Should().Be(status);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task An_id_given_without_its_kind_is_answered_with_the_entity_to_ask_for()
    {
        var (id, _, _) = await Workflow();

        var bare = await Auditor.GetAsync($"/api/audit/lineage?entity={id}");
        bare.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await JsonOf(bare)).GetProperty("detail").GetString().Should().Contain($"'access-request:{id}'");
        // The grant's id is its own name too.
        var grant = await Auditor.GetAsync($"/api/audit/lineage?entity=grant-{id}");
        (await JsonOf(grant)).GetProperty("detail").GetString().Should().Contain($"'grant:grant-{id}'");
        // An id the lineage does not know under any kind: the kinds to name it with.
        var unknown = await JsonOf(await Auditor.GetAsync("/api/audit/lineage?entity=never-was"));
        unknown.GetProperty("detail").GetString().Should().Contain("run:<id>").And.Contain("access-request:<id>");
        // Named as told, it is found.
        (await Auditor.GetAsync($"/api/audit/lineage?entity=access-request:{id}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_fhir_lineage_route_answers_errors_as_operation_outcomes()
    {
        var response = await Auditor.GetAsync("/api/audit/lineage/fhir?entity=access-request:never-was");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/fhir+json");
        Parse<OperationOutcome>(await response.Content.ReadAsStringAsync()).Issue.Should().ContainSingle().Which.Code.Should().Be(OperationOutcome.IssueType.NotFound);
    }
}
