using System.Text;
using System.Text.Json;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Provenance;
using DthGrains.Integration.Tests.Infrastructure;
using Marten;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// The lineage store reads a completed run without its results (summary, bands, sensitivity indices: up to a megabyte
/// per run, which PostgreSQL turned into text, sent and the silo parsed, for nothing the lineage states).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LineageUnreadPropertiesTests
{
    private static readonly string[] Unread = ["summary", "sensitivity", "sensitivityAlso"];

    [Fact]
    public async Task A_completed_run_is_read_without_its_results_and_its_lineage_is_the_same()
    {
        await using var ledger = await LedgerStore.CreateAsync();
        var bands = Enumerable.Range(0, 2 * 3).Select(i => (double?)i).ToArray();
        var sensitivity = new SensitivityResult("G", ["k1"], [0.5], [0.6], 1.5, 16, 48);
        var completed = new RunCompleted("lean-run", "hovorka-2004", "1.0.0", "dthgrains-simulation/1.1.0", "request-hash", 7, new RunSolverSettings(),
            [new RunDataset("ds-1", "1.0.0", "charite")], ["grant-1"], 2, 100, 1,
            new RunSummary(100, 1, [0, 60], ["G"], ["mmol/L"], [5, 50, 95], [6.1, 6.2], [0.1, 0.2], bands), sensitivity, "result-hash", DateTimeOffset.UtcNow)
        {
            SensitivityAlso = [sensitivity with { Statistic = "final" }],
        };
        await ledger.Log.AppendChainedAsync(RunEventTypes.StreamOf("lean-run"), 0, [completed], LedgerStore.Context);

        var whole = await BodyAsync(ledger, unread: null);
        var lean = await BodyAsync(ledger, LineageService.UnreadProperties);
        // The names are the stored ones (camel case): a name that missed would leave the property in, and fail here.
        foreach (var name in Unread)
        {
            whole.TryGetProperty(name, out _).Should().BeTrue($"the stored event has its {name}");
            lean.TryGetProperty(name, out _).Should().BeFalse($"the lineage reading leaves {name} in the store");
        }
        var kept = lean.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());
        kept.Keys.Should().BeEquivalentTo(whole.EnumerateObject().Select(p => p.Name).Except(Unread));
        foreach (var property in whole.EnumerateObject().Where(p => !Unread.Contains(p.Name)))
            kept[property.Name].Should().Be(property.Value.GetRawText(), "every other property is read as stored");

        // What the lineage states of the run is all there.
        var lineage = await new LineageService(ledger.Reader, ledger.Get<IDocumentStore>()).LineageAsync("run:lean-run/results", 1);
        lineage.Should().NotBeNull();
        var results = lineage!.Graph.Nodes.Single(n => n.Id == "run:lean-run/results");
        results.Attributes.Should().Contain("resultHash", "result-hash").And.Contain("requestHash", "request-hash");
        results.Label.Should().Contain("(1 failed)");
        lineage.Graph.Edges.Should().Contain(e => e.From == "run:lean-run/results" && e.To == "run:lean-run");
    }

    private static async Task<JsonElement> BodyAsync(LedgerStore ledger, IReadOnlyDictionary<string, string[]>? unread)
    {
        var bodies = new List<string>();
        await ledger.Reader.ReadSinceAsync(0, [], 100, [EventTypeRegistry.NameOf(typeof(RunCompleted))],
            (row, _) => bodies.Add(Encoding.UTF8.GetString(row.BodyJson.Span)), unread);
        return JsonDocument.Parse(bodies.Single()).RootElement;
    }
}
