using System.Reflection;
using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Governance;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Provenance;
using DthGrains.Contracts.Twins;
using DthGrains.Contracts.Runs;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// Every wire record survives the Orleans serializer with the same value, through its type alias
/// (CONVENTIONS.md 4): a reordered parameter, a renumbered id or an alias the type parser rejects fails here.
/// </summary>
public sealed class ContractSerializationTests
{
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    private static readonly DateTimeOffset At = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    public static TheoryData<object> Samples()
    {
        var data = new TheoryData<object>();
        foreach (var sample in SampleObjects()) data.Add(sample);
        return data;
    }

    private static IEnumerable<object> SampleObjects()
    {
        var node = new NodeRef(NodeKind.Organisation, "charite");
        var ecosystemNode = new EcosystemNode(node, "Charité", new OrganisationDetails("Charité", OrganisationType.Hospital, "DE", "https://www.charite.de", "d"),
            null, null, [new Relation(node, RelationKind.PartnerOf, new NodeRef(NodeKind.Organisation, "inria"), At)], 3, At, At);
        var metadata = new ResourceMetadata("Title", "Description", ["k"], ["HEAL"], ["metabolic"], ["LOINC"], new ContactPoint("Desk", "d@x.org"), "MIT",
            AccessRights.Restricted, ["EHDS"], ["SBML"], new PopulationFacts(10, 5, 18, 80, "adults"), new Publication("Cite", "10.1/x"), "prov",
            new DataAccessBody("HDAB", "h@x.org"), ["health"], "basis", "P3Y", "research", [new Variable("g", "Glucose", null, "decimal")], ["A"], "mechanistic");
        var credibility = new CredibilityRecord(new CredibilityHeader("Q?", "CoU", 2, 3, "ok"), [new CredibilityAssessment(CredibilityFactor.ModelForm, 3, 2, ["e"])]);
        var facts = new DatasetFacts(new Dictionary<string, int> { ["Observation"] = 3 }, 1, 100);
        var version = new ResourceVersion("1.0.0", "notes", "sha256:1", ["SBML"], At, facts, credibility);
        var application = new AccessApplication("T", EhdsPurpose.ScientificResearch, "use", "benefit", ["ds"], [PermittedAction.Read], true, "why", "safe", 12, ["p"], "fn", ["v"], "link", "tools", "eth-1");
        var slot = new ReviewSlot("charite", ["ds"], SlotDecision.Approved, "ok", ["c"], "alice", At);
        var runRequest = new RunRequest(RunKind.Sweep, "hovorka", "1.0.0", "reference", null, 60, 10, new RunSolverSettings("auto"), 100, 42, ["ds"], "scientific-research",
            new Dictionary<string, double> { ["SIT"] = 0.005 }, [new ParameterRange("SIT", 0.001, 0.01)], 5, [new ParameterUncertainty("SID", 0.2)], 25, [5, 50, 95],
            new RunWhatIfPlan(24, 0.9, [new RunPlanMeal(420, 45, 4.5), new RunPlanMeal(720, 60)], "plan"),
            new CohortSeed("ds", "1.0.0", 5, 1, "twin-calibration", [new SeedDistribution("SIT", 0.005, 0.3)]), new SensitivityTarget("G", "auc"));
        var grant = new AccessGrant("grant-1", ["carla"], new Dictionary<string, string> { ["ds"] = "1.0.0" }, EhdsPurpose.ScientificResearch, [PermittedAction.Simulate], ["c"], At, At.AddMonths(1), GrantStatus.Active, null);
        var acceptance = new TwinAcceptance(12, 0.8, 0.85);
        var design = new TwinDesign("twin", "hovorka-2004", "1.0.0", "Q?", "CoU", "scientific-research", 2, 1, acceptance);
        var meal = new TwinMeal(420, 45, 4.5);
        var scenario = new TwinScenario("plan", 24, [meal], 0.9, At);
        var parameter = new TwinParameter("SIT", 0.005, 0.0002, "1/min per mU/L", 5e-4, 2e-2);
        var fit = new TwinFit(true, 12, 560.5, 1.02, 0.61);
        var window = new TwinObservationWindow("glucose", 576, At, At.AddDays(2));
        var metrics = new TwinMetrics(0.7, 0.5, 7.1, 0.05, 0.94, 288);
        var summary = new TwinScenarioSummary(7.2, 4.1, 11.3, 88.5, 0.5, 11, "mmol/L");
        var dataView = new TwinDataView("ds", "1.0.0", "charite", "synth-00001", "grant-1", window, 9, 9, 0.9, 71.5, ["w"], ["http://x|1"], At);
        var calibration = new TwinCalibrationView([parameter], fit, window, "1.0.0", "engine", "hash", At);
        var validation = new TwinValidationView(metrics, acceptance, true, [], window, "hash2", At);
        var scenarioView = new TwinScenarioView("sc-1", scenario, summary, "hash3", "1.0.0", "engine", At, "run-1");
        var stale = new TwinStaleReason("grant", "revoked", At);
        var twin = new TwinView("t", "twin", "carla", "tum", TwinStatus.Stale, [stale], "hovorka-2004", "1.0.0", "engine", "scientific-research", "Q?", "CoU",
            acceptance, dataView, calibration, validation, [scenarioView], credibility, null, 7, At, At);
        return new object[]
        {
            metadata, metadata.ContactPoint, metadata.Population!, metadata.ReferencePublication!, metadata.HealthDataAccessBody!, metadata.Variables![0],
            credibility, credibility.Header, credibility.Factors[0], facts, version,
            new ResourceView("r", ResourceKind.Dataset, "charite", ResourceStatus.Published, null, metadata, [version], "1.0.0", 3, At, At),
            new VersionRelease("1.0.0", "n", "sha256:1", ["SBML"]),
            application, new StewardDecision(true, "ok", ["c"]), slot, grant,
            new AccessRequestView("req", "carla", "tum", ApplicationStatus.Approved, "approved", application, [slot], grant, 5, At, At),
            new Problem(ProblemKind.Unprocessable, "t", "d", null, null, "{\"resourceType\":\"OperationOutcome\"}"),
            new Problem(ProblemKind.Conflict, "t", "d", new Dictionary<string, string[]> { ["name"] = ["x"] }, 4),
            Outcome<EcosystemNode>.Ok(ecosystemNode, 3),
            Outcome<EcosystemNode>.Fail(Problem.NotFound("x")),
            new Actor("alice", "Alice", "charite", [Roles.Steward]),
            new CommandContext(Actor.System("charite"), "corr", "cause", "trace", "purpose", "idem", 7),
            new EventEnvelope("alice", "Alice", "charite", ["steward"], "corr", null, "trace", null, At, "idem"),
            new StoredEvent("organisation:charite", 1, 10, "ecosystem.organisation_registered", "{}", new EventEnvelope("s", "n", null, [], "c", null, null, null, At, null)),
            node,
            new OrganisationDetails("Inria", OrganisationType.University, "FR"),
            new Relation(node, RelationKind.MemberOf, new NodeRef(NodeKind.Initiative, "dth"), At),
            new PersonDetails("Alice", "charite", ["steward"], "0000-0002-1825-0097"),
            new InitiativeDetails("Network", InitiativeKind.Network, "d", null, new DateOnly(2026, 1, 1), null),
            ecosystemNode,
            new StreamHead("organisation:charite", 3, new string('a', 64)),
            new LedgerCheckpoint(LedgerCheckpoint.CurrentFormat, 2, At, new string('b', 64), 1, 3, 4, "kid", "sig", [new StreamHead("organisation:charite", 3, new string('a', 64))]),
            Outcome<LedgerCheckpoint>.Ok(new LedgerCheckpoint(LedgerCheckpoint.CurrentFormat, 1, At, new string('c', 64), 0, 0, 0, "kid", "sig"), 1),
            new SubjectResource("Observation", "o1", "{}"),
            new SubjectData("1.0.0", "synth-00001", [new SubjectResource("Observation", "o1", "{}")], "grant-1"),
            acceptance, design, new TwinDataLink("ds", "1.0.0", "synth-00001"), meal, scenario, parameter, fit, window, metrics, summary,
            dataView, calibration, validation, scenarioView, stale, twin,
            new SubjectLinkResult("1.0.0", "grant-1", window, 9, 9, 0.9, 71.5, ["w"], ["http://x|1"]),
            new SubjectCalibrationResult([parameter], fit, window, "hash"),
            new SubjectValidationResult(metrics, window, "hash2"),
            new RunSolverSettings("rodas4", 1e-6, 1e-9, 5, 1000),
            new ParameterRange("p2", 0.01, 0.03),
            new ParameterUncertainty("SIT", 0.3),
            runRequest, runRequest.Plan!, runRequest.Plan!.Meals![0], runRequest.CohortFrom!, runRequest.CohortFrom!.Parameters![0], runRequest.SensitivityOf!,
            new SubjectBatch("1.0.0", 7, [new SubjectData("1.0.0", "synth-00001", [new SubjectResource("Observation", "o1", "{}")], "grant-1")], "grant-1"),
            new RunView("run-1", "carla", RunKind.CohortTrial, RunStatus.Running, null, 8, 3, 1000, 375, new string('d', 64), 5, At, At),
            new ShardWork("run-1", 3, 375, 500, runRequest),
            new ShardResult("run-1", 3, [1, 2, 3], "127.0.0.1:11111@1", 12.5, null, [4, 5], [6, 7, 8]),
            new RunProgress("run-1", RunStatus.Running, 3, 8, 410, 1000, 5, [new RunProgressBand("G", 1440, 375, 4.9, 6.8, 11.2)]),
            new RunProgressBand("I", 1440, 375, null, 12.5, 30.1),
            new RunStreamEvent("run-1", 5, "runs.shard_completed", "{}"),
        };
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Round_trips_through_the_orleans_serializer(object sample)
    {
        var copy = Serializer.Deserialize<object>(Serializer.SerializeToArray<object>(sample));
        copy.Should().BeOfType(sample.GetType());
        copy.Should().BeEquivalentTo(sample);
    }

    [Fact]
    public void Every_contract_record_has_an_alias_and_a_sample_here()
    {
        var contracts = typeof(Problem).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<GenerateSerializerAttribute>() is not null)
            .ToList();
        contracts.Should().OnlyContain(t => t.GetCustomAttribute<AliasAttribute>() != null, "every wire type needs a stable alias");

        var sampled = SampleObjects().Select(o => o.GetType()).Select(t => t.IsGenericType ? t.GetGenericTypeDefinition() : t).ToHashSet();
        contracts.Where(t => !sampled.Contains(t)).Should().BeEmpty("each wire type needs a round-trip sample in this test");
    }
}
