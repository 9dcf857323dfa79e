using System.Text.Json;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Governance;

/// <summary>`dth access …` against the seeded host, in-process: the researcher's and the stewards' side of an application.</summary>
[Collection(HostCollection.Name)]
public sealed class AccessCliTests(HostFixture fixture)
{
    private const string InriaData = "inria-t1d-synthetic";

    private TestHost Host => fixture.Host;

    private async Task<string> Dth(string token, params string[] args)
    {
        var (code, output) = await CliRunner.RunAsync(Host.BaseAddress, token, args);
        code.Should().Be(0, output);
        return output;
    }

    [Fact]
    public async Task An_application_over_two_institutions_is_approved_by_both_stewards_then_revoked_all_through_the_cli()
    {
        await SeedReady(Host);
        var applicant = $"cli-access-{Guid.NewGuid():N}"[..20];
        var researcher = Host.Token("researcher", "tum", applicant);
        var (charité, inria) = (Host.Token("steward", "charite", "alice-steward"), Host.Token("steward", "inria", "bruno-steward"));

        var applied = CliRunner.JsonIn(await Dth(researcher, "access", "apply", "--json", "--title", "CLI cohort study", "--purpose", "scientific-research",
            "--dataset", CharitéData, "--dataset", InriaData, "--action", "simulate", "--months", "6", "--intended-use", "Seed virtual cohorts.",
            "--benefit", "Safer dosing.", "--safeguards", "Aggregates only."));
        var id = applied.GetProperty("id").GetString()!;

        // Each steward finds it in their institution's inbox.
        (await Dth(charité, "access", "list", "--pending", "--limit", "100")).Should().Contain(id).And.Contain("Awaiting your institution's decision");
        (await Dth(charité, "access", "approve", id, "--reason", "Safeguards adequate.", "--condition", "No re-identification."))
            .Should().Contain($"Approved {id}").And.Contain("under-review").And.Contain("awaiting the stewards of inria").And.NotContain("grant ");
        (await Dth(charité, "access", "list", "--pending", "--limit", "100")).Should().NotContain(id, "Charité has decided its part");
        var granted = await Dth(inria, "access", "approve", id, "--reason", "Fine for research.");
        granted.Should().Contain($"grant-{id}: active until ").And.Contain(" UTC");

        // The researcher sees the grant with both reviews, the condition and its end, as people read times.
        var shown = await Dth(researcher, "access", "show", id);
        shown.Should().Contain("Reviews").And.Contain("alice-steward").And.Contain("bruno-steward").And.Contain("No re-identification.")
            .And.Contain($"{CharitéData}@1.0.0").And.MatchRegex(@"Valid until\s*│\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC");
        (await Dth(researcher, "access", "grants")).Should().Contain($"grant-{id}").And.Contain("active");

        // A revoked grant says by whom and why, once, and no end it will not reach.
        var revoked = await Dth(charité, "access", "revoke", id, "--reason", "Ethics approval withdrawn.");
        revoked.Should().Contain($"grant-{id}: revoked by charite: Ethics approval withdrawn.").And.NotContain("revoked: revoked").And.NotContain("revoked until");
        (await Dth(researcher, "access", "grants")).Should().Contain("revoked by charite: Ethics approval withdrawn.").And.NotContain("revoked: revoked");
    }

    [Fact]
    public async Task A_steward_watching_the_inbox_with_next_gets_the_application_that_arrives_and_not_one_already_there()
    {
        await SeedReady(Host);
        var researcher = Host.ClientAs("researcher", "tum", $"cli-watch-{Guid.NewGuid():N}"[..20]);
        async Task<string> ApplyAsync()
        {
            var response = await researcher.PostAsync("/api/access/requests", GovernanceTestData.Body(GovernanceTestData.Application([CharitéData])));
            response.EnsureSuccessStatusCode();
            return (await GovernanceTestData.JsonOf(response)).GetProperty("id").GetString()!;
        }
        var before = await ApplyAsync();

        // The watch says when it has read the inbox (in this process); an application submitted after its first look is news.
        var firstLook = new TaskCompletionSource<IReadOnlyCollection<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Looked(IReadOnlyCollection<string> inbox) => firstLook.TrySetResult([.. inbox]);
        DthGrains.Cli.Access.AccessCommands.InboxRead += Looked;
        try
        {
            var watching = CliRunner.RunAsync(Host.BaseAddress, Host.Token("steward", "charite", "alice-steward"), "access", "watch", "--next", "--every", "1", "--json");
            (await firstLook.Task.WaitAsync(TimeSpan.FromSeconds(60))).Should().Contain(before, "it awaited Charité's decision before the watch began");
            var arrived = await ApplyAsync();
            var (code, output) = await watching.WaitAsync(TimeSpan.FromSeconds(60));

            code.Should().Be(0, output);
            CliRunner.JsonIn(output).GetProperty("id").GetString().Should().Be(arrived, "the application that arrived after the first look, and not the one already there");
        }
        finally
        {
            DthGrains.Cli.Access.AccessCommands.InboxRead -= Looked;
        }
    }

    [Fact]
    public async Task A_steward_of_another_institution_gets_the_apis_not_found_and_a_failing_exit_code_and_nothing_changes()
    {
        await SeedReady(Host);
        var researcher = Host.Token("researcher", "tum", $"cli-access-{Guid.NewGuid():N}"[..20]);
        var id = CliRunner.JsonIn(await Dth(researcher, "access", "apply", "--json", "--title", "Charité only", "--purpose", "scientific-research",
            "--dataset", CharitéData, "--action", "read", "--months", "3", "--intended-use", "Read CGM traces.", "--benefit", "Insight.",
            "--safeguards", "Aggregates only.")).GetProperty("id").GetString()!;

        var (code, output) = await CliRunner.RunAsync(Host.BaseAddress, Host.Token("steward", "inria", "bruno-steward"), "access", "approve", id, "--reason", "Looks fine.");
        code.Should().NotBe(0);
        output.Should().Contain("404").And.Contain("does not exist", "an application on another institution's data is not theirs to see (one rule with the API)");
        (await Dth(researcher, "access", "show", id)).Should().Contain("submitted").And.NotContain("bruno-steward");
    }
}
