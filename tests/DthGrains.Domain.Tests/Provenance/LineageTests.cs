using DthGrains.Contracts.Governance;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Provenance;
using DthGrains.Domain.Runs;
using static DthGrains.Domain.Tests.Governance.Access;

namespace DthGrains.Domain.Tests.Provenance;

/// <summary>Lineage from events: the rules, the walk, PROV-JSON; and the decision context recorded in a decision.</summary>
public sealed class LineageTests
{
    private const string Stream = "access-request:r1";

    private static DecisionContext Context(long version) =>
        new(version, [new DatasetAsSeen("ds-a", "1.0.0", "1.1.0", 7, "published", "Data A", "charite", "restricted", "CC-BY-4.0", null)], GovernancePolicy.Current);

    /// <summary>The events of an application decided by both owners, its grant, a use and a revocation, as the ledger holds them.</summary>
    private static LineageFacts Facts()
    {
        var facts = new LineageFacts();
        foreach (var stream in Streams())
        {
            var memory = new LineageStreamMemory();
            foreach (var (source, e) in stream) LineageRules.Apply(facts, memory, source, e);
        }
        return facts;
    }

    /// <summary>The two streams of <see cref="Facts"/>, each in version order.</summary>
    private static List<List<(LineageSource, object)>> Streams()
    {
        var s = Submitted();
        var events = new List<object>(GovernanceDecisions.Submit(AccessRequestState.Initial(Id), Application(), Alice, TwoOwners(), Now).Events);
        var first = GovernanceDecisions.Decide(s, Yes(), ChariteSteward, Now.AddHours(1), Context(1));
        events.AddRange(first.Events);
        var s1 = Apply(s, first);
        events.AddRange(GovernanceDecisions.Decide(s1, Yes(), UmcgSteward, Now.AddHours(2), Context(2)).Events);
        var granted = events.OfType<AccessGranted>().Single();
        events.Add(new AccessRevoked(Id, granted.GrantId, "stew-umcg", "umcg", "Ended.", Now.AddDays(3)));
        return
        [
            events.Select((e, i) => (new LineageSource(Stream, i + 1, 100 + i, Now.AddHours(i), "someone", null), e)).ToList(),
            [(new LineageSource("dataset-access:charite/ds-a", 1, 200, Now.AddDays(1), "alice", "inria"),
                new DthGrains.Domain.Catalogue.DataAccessed("ds-a", "charite", "1.0.0", "alice", "inria", "scientific-research", granted.GrantId, 3, Now.AddDays(1), ["p1", "p2", "p3"]))],
        ];
    }

    [Fact]
    public void Both_spellings_of_the_engine_are_one_engine_node_and_one_subject_is_said_in_the_singular()
    {
        var actor = new DthGrains.Contracts.Platform.Actor("carla", "Carla", "tum", [DthGrains.Contracts.Platform.Roles.Researcher]);
        RunSubmitted Submitted(string id) => DthGrains.Domain.Runs.RunDecisions.Submit(RunState.Initial(id),
            DthGrains.Domain.Runs.RunPlanner.Plan(new DthGrains.Contracts.Runs.RunRequest(DthGrains.Contracts.Runs.RunKind.Single, "bergman", Duration: 60)).Plan!,
            actor, [], [], Now).Events.OfType<RunSubmitted>().Single();
        var asRuns = Submitted("r1");
        // As twins record the same library (its assembly name).
        var asTwins = Submitted("r2") with { EngineVersion = "DthGrains.Simulation/" + asRuns.EngineVersion.Split('/')[1] };
        var facts = new LineageFacts();
        LineageRules.Apply(facts, new LineageStreamMemory(), new LineageSource("run:r1", 1, 1, Now, "carla", "tum"), asRuns);
        LineageRules.Apply(facts, new LineageStreamMemory(), new LineageSource("run:r2", 1, 2, Now, "carla", "tum"), asTwins);

        facts.Nodes.Values.Where(n => n.Type == "engine-version").Select(n => n.Id).Should().Equal($"engine:{asRuns.EngineVersion}");
        facts.Edges.Where(e => e.To.StartsWith("engine:", StringComparison.Ordinal)).Select(e => e.From).Should().BeEquivalentTo("run:r1", "run:r2");
        facts.Nodes["run:r1"].Label.Should().EndWith("(1 subject)");
    }

    [Fact]
    public void A_completed_run_is_associated_with_the_institutions_whose_silos_computed_its_shards()
    {
        var actor = new DthGrains.Contracts.Platform.Actor("carla", "Carla", "tum", [DthGrains.Contracts.Platform.Roles.Researcher]);
        var plan = RunPlanner.Plan(new DthGrains.Contracts.Runs.RunRequest(DthGrains.Contracts.Runs.RunKind.CohortTrial, "bergman", Duration: 30, Size: 30, ShardSize: 10)).Plan!;
        var state = RunState.Initial("r1");
        var events = new List<object>(RunDecisions.Submit(state, plan, actor, [], [], Now).Events);
        state = events.Aggregate(state, RunState.Evolve);
        var statistics = new ShardStatisticsFold(plan.Times.Length * plan.Outputs.Length);
        foreach (var (i, institutions, role) in new[] { (0, new[] { "bsc" }, "hpc"), (1, ["charite", "inria"], "data"), (2, ["bsc"], "hpc") })
        {
            var shard = RunPlanner.ExecuteShard(plan, i).ToShard("r1", i, plan.ShardRange(i), $"silo-{i}", 1, Now) with { SiloInstitutions = institutions, SiloRole = role };
            var decided = RunDecisions.CompleteShard(state, shard, plan, statistics);
            foreach (var recorded in decided.Events.OfType<ShardCompleted>()) statistics.Record(recorded);
            state = decided.Events.Aggregate(state, RunState.Evolve);
            events.AddRange(decided.Events);
        }
        var completed = events.OfType<RunCompleted>().Single();
        completed.ComputedAt.Should().BeEquivalentTo(new[] { new ComputeSite(["bsc"], "hpc", 2, 20), new ComputeSite(["charite", "inria"], "data", 1, 10) },
            o => o.WithStrictOrdering());
        completed.ComputedAt![0].ToString().Should().Be("bsc (hpc): 2 shards, 20 subjects");

        var facts = new LineageFacts();
        var memory = new LineageStreamMemory();
        foreach (var (e, version) in events.Select((e, i) => (e, i + 1))) LineageRules.Apply(facts, memory, new LineageSource("run:r1", version, version, Now, "carla", "tum"), e);
        var computing = facts.Edges.Where(e => e.From == "run:r1" && e.To.StartsWith("organisation:", StringComparison.Ordinal)).ToList();
        computing.Select(e => (e.To, e.Relation, e.Attributes!["role"])).Should().BeEquivalentTo(new[]
        {
            ("organisation:bsc", ProvRelation.WasAssociatedWith, "computing silo (hpc)"),
            ("organisation:charite", ProvRelation.WasAssociatedWith, "computing silo (data)"),
            ("organisation:inria", ProvRelation.WasAssociatedWith, "computing silo (data)"),
        });
        // Shards that named no silo metadata (recorded before it was) give no sites.
        ComputeSite.Of([RunPlanner.ExecuteShard(plan, 0).ToShard("r1", 0, plan.ShardRange(0), "old", 1, Now)]).Should().BeNull();
    }

    [Fact]
    public void Streams_read_interleaved_event_by_event_state_the_same_lineage_as_streams_read_whole()
    {
        var (governance, access) = (Streams()[0], Streams()[1]);
        // As an incremental reader sees them in ledger order: the read lands between the approvals and the revocation.
        var interleaved = governance.Take(4).Select(e => (Memory: 0, e)).Concat(access.Select(e => (Memory: 1, e))).Concat(governance.Skip(4).Select(e => (Memory: 0, e)));
        var memories = new[] { new LineageStreamMemory(), new LineageStreamMemory() };
        var incremental = new LineageFacts();
        foreach (var (memory, (source, e)) in interleaved) LineageRules.Apply(incremental, memories[memory], source, e);

        var whole = Facts();
        incremental.Nodes.Should().BeEquivalentTo(whole.Nodes);
        // The same edges; where each stands differs (the order they were first stated in, which the interleaving changes).
        incremental.Edges.Should().BeEquivalentTo(whole.Edges, o => o.Excluding(e => e.Order));
        var grant = whole.Nodes.Keys.Single(k => k.StartsWith("grant:", StringComparison.Ordinal) && !k.Contains('/', StringComparison.Ordinal));
        LineageGraph.Of(incremental, grant, 3)!.Edges.Should().BeEquivalentTo(LineageGraph.Of(whole, grant, 3)!.Edges, o => o.Excluding(e => e.Order));
        incremental.Outgoing(grant).Should().OnlyContain(e => e.From == grant).And.HaveCount(whole.Edges.Count(e => e.From == grant));
        incremental.Incoming(grant).Should().OnlyContain(e => e.To == grant).And.HaveCount(whole.Edges.Count(e => e.To == grant));
    }

    [Fact]
    public void A_stream_read_without_its_memory_loses_what_its_earlier_events_named()
    {
        // The grant's generating decision comes from the stream's memory: a fresh memory per event cannot state it.
        var forgetful = new LineageFacts();
        foreach (var stream in Streams())
        foreach (var (source, e) in stream) LineageRules.Apply(forgetful, new LineageStreamMemory(), source, e);
        forgetful.Edges.Should().NotContain(e => e.Relation == ProvRelation.WasGeneratedBy && e.From.StartsWith("grant:", StringComparison.Ordinal));
        Facts().Edges.Should().Contain(e => e.Relation == ProvRelation.WasGeneratedBy && e.From.StartsWith("grant:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_decision_records_the_context_it_was_given()
    {
        var d = GovernanceDecisions.Decide(Submitted(), Yes(), ChariteSteward, Now, Context(1));
        d.Events.OfType<DecisionRecorded>().Single().Context.Should().BeEquivalentTo(Context(1));
        GovernancePolicy.Current.Digest.Should().MatchRegex("^sha256:[0-9a-f]{64}$");
    }

    [Fact]
    public void The_grant_rests_on_the_last_approval_which_used_the_application_the_dataset_versions_and_the_policy()
    {
        var facts = Facts();
        var grant = facts.Nodes.Keys.Single(k => k.StartsWith("grant:", StringComparison.Ordinal) && !k.Contains('/', StringComparison.Ordinal));
        var graph = LineageGraph.Of(facts, grant, depth: 3)!;
        var edges = graph.Edges.Select(e => (e.From, e.Relation, e.To)).ToList();

        var lastDecision = $"{Stream}/decision/umcg/3";
        edges.Should().Contain((grant, ProvRelation.WasGeneratedBy, lastDecision));
        edges.Should().Contain((lastDecision, ProvRelation.Used, Stream));
        edges.Should().Contain((lastDecision, ProvRelation.Used, "resource:ds-a@1.0.0"));
        edges.Should().Contain((lastDecision, ProvRelation.Used, $"policy:{GovernancePolicy.Id}@{GovernancePolicy.Version}"));
        edges.Should().Contain((lastDecision, ProvRelation.WasAssociatedWith, "person:stew-umcg"));
        edges.Should().Contain(("person:stew-umcg", ProvRelation.ActedOnBehalfOf, "organisation:umcg"));
        edges.Should().Contain((grant, ProvRelation.WasInvalidatedBy, $"{grant}/revocation"));
        edges.Should().Contain(("dataset-access:charite/ds-a/1", ProvRelation.Used, grant), "a read under the grant is a use of it (downstream)");
        graph.Edges.Single(e => e.Relation == ProvRelation.WasGeneratedBy && e.From == grant).Should().Match<LineageEdge>(e => e.Stream == Stream && e.Version == 5);
        graph.Nodes.Select(n => n.Id).Should().OnlyHaveUniqueItems();
        graph.Edges.Should().OnlyContain(e => graph.Nodes.Any(n => n.Id == e.From) && graph.Nodes.Any(n => n.Id == e.To), "no edge dangles");
        graph.Truncated.Should().BeFalse();
    }

    [Theory]
    [InlineData(2)]
    [InlineData(6)]
    public void The_platforms_agent_acting_for_every_institution_brings_none_into_a_lineage_it_does_not_otherwise_touch(int depth)
    {
        // TUM's model released by the platform (its seed) for TUM; the platform also published Charité's and Inria's
        // datasets. A run uses the model and no data.
        var facts = new LineageFacts();
        LineageSource At(string stream, long version) => new(stream, version, version, Now, "system", null);
        var release = facts.Node(new LineageNode("resource:m@1.0.0/release", ProvKind.Activity, "release", "released 1.0.0"));
        var model = facts.Node(new LineageNode("resource:m@1.0.0", ProvKind.Entity, "model-version", "m 1.0.0"));
        facts.Edge(model, ProvRelation.WasGeneratedBy, release, At("resource:m", 2));
        facts.Edge(model, ProvRelation.WasAttributedTo, facts.Organisation("tum"), At("resource:m", 2));
        facts.Edge(release, ProvRelation.WasAssociatedWith, facts.Person("system", "tum", At("resource:m", 2)), At("resource:m", 2));
        foreach (var (dataset, owner) in new[] { ("ds-c", "charite"), ("ds-i", "inria") })
        {
            var published = facts.Node(new LineageNode($"resource:{dataset}@1.0.0/release", ProvKind.Activity, "release", "released 1.0.0"));
            facts.Edge(published, ProvRelation.WasAssociatedWith, facts.Person("system", owner, At($"resource:{dataset}", 2)), At($"resource:{dataset}", 2));
        }
        var run = facts.Node(new LineageNode("run:r", ProvKind.Activity, "simulation-run", "run"));
        facts.Edge(run, ProvRelation.Used, model, At("run:r", 1));
        facts.Edge(run, ProvRelation.WasAssociatedWith, facts.Person("carla", "tum", At("run:r", 1)), At("run:r", 1));

        var graph = LineageGraph.Of(facts, run, depth)!;
        var ids = graph.Nodes.Select(n => n.Id).ToList();
        ids.Should().Contain("organisation:tum").And.NotContain("organisation:charite").And.NotContain("organisation:inria");
        graph.Edges.Select(e => (e.From, e.Relation, e.To)).Should().Contain(("person:carla", ProvRelation.ActedOnBehalfOf, "organisation:tum"));
        if (ids.Contains(LineageGraph.PlatformAgent))
            graph.Edges.Select(e => (e.From, e.Relation, e.To)).Should().Contain((LineageGraph.PlatformAgent, ProvRelation.ActedOnBehalfOf, "organisation:tum"),
                "a delegation between nodes reached otherwise still shows");
        // A person of one institution still brings theirs.
        LineageGraph.Of(facts, "person:carla", 1)!.Nodes.Select(n => n.Id).Should().Contain("organisation:tum");
    }

    [Fact]
    public void The_walk_stops_at_the_node_cap_and_says_so()
    {
        var facts = Facts();
        var graph = LineageGraph.Of(facts, Stream, depth: 6, maxNodes: 4)!;
        graph.Truncated.Should().BeTrue();
        graph.Edges.Should().OnlyContain(e => graph.Nodes.Any(n => n.Id == e.From) && graph.Nodes.Any(n => n.Id == e.To));
        LineageGraph.Of(facts, "access-request:unknown", 3).Should().BeNull();
    }

    [Fact]
    public void Prov_json_declares_every_node_and_names_the_roles_of_each_relation()
    {
        var facts = Facts();
        var doc = ProvJson.From(LineageGraph.Of(facts, Stream, depth: 6)!);
        doc["entity"]!.AsObject().ContainsKey($"dth:{Stream}").Should().BeTrue();
        doc["agent"]!.AsObject().ContainsKey("dth:person:stew-charite").Should().BeTrue();
        var generated = doc["wasGeneratedBy"]!.AsObject().Select(p => p.Value!.AsObject()).ToList();
        generated.Should().Contain(r => r["prov:entity"]!.GetValue<string>() == $"dth:{Stream}" && r["prov:activity"]!.GetValue<string>() == $"dth:{Stream}/submission/1");
        doc["actedOnBehalfOf"]!.AsObject().Select(p => p.Value!["prov:responsible"]!.GetValue<string>()).Should().Contain("dth:organisation:umcg");
        doc["used"]!.AsObject().Should().OnlyContain(p => p.Value!["prov:time"] != null && p.Value!["dth:stream"] != null);
    }

    /// <summary>
    /// A silo keeps the facts of the whole ledger, and reads repeat most of their strings: each is kept once, as is each
    /// distinct set of attributes, and the graph is the same as without (the walks compare ids by value).
    /// </summary>
    [Fact]
    public void Repeated_strings_and_attribute_sets_are_kept_once_in_the_facts()
    {
        var facts = new LineageFacts();
        var memory = new LineageStreamMemory();
        for (var v = 1; v <= 3; v++)
        {
            // Each event read from the store brings its own string instances.
            var stream = new string("access-log:charite/ds-a".AsSpan());
            var read = new DthGrains.Domain.Catalogue.DataAccessed(new string("ds-a".AsSpan()), "charite", new string("1.0.0".AsSpan()), new string("alice".AsSpan()), "inria",
                new string("scientific-research".AsSpan()), "grant-1", 3, Now);
            LineageRules.Apply(facts, memory, new LineageSource(stream, v, v, Now, "alice", "inria"), read);
        }
        var used = facts.Edges.Where(e => e.Relation == ProvRelation.Used && e.To.StartsWith("resource:", StringComparison.Ordinal)).ToList();
        used.Should().HaveCount(3);
        used.Select(e => e.To).Distinct().Should().ContainSingle("one dataset version");
        ReferenceEquals(used[0].To, used[2].To).Should().BeTrue("the dataset version's id is kept once");
        ReferenceEquals(used[0].Stream, used[2].Stream).Should().BeTrue("the stream key is kept once");
        var reads = facts.Nodes.Values.Where(n => n.Type == "data-read").ToList();
        reads.Should().HaveCount(3);
        ReferenceEquals(reads[0].Attributes, reads[2].Attributes).Should().BeTrue("one map for the same purpose");
        reads[0].Attributes!["purpose"].Should().Be("scientific-research");
        LineageGraph.Of(facts, "resource:ds-a@1.0.0", 1)!.Nodes.Count(n => n.Type == "data-read").Should().Be(3, "what used the version is found by its id's value");
    }

    /// <summary>
    /// The lineage store answers a walk in PostgreSQL: it must be asked one level at a time (every id of a level in one
    /// call) and for each id's edges once, so a walk costs a few queries whatever the graph's size.
    /// </summary>
    [Fact]
    public async Task A_walk_asks_its_index_one_level_at_a_time_and_for_each_id_once()
    {
        var facts = Facts();
        var grant = facts.Nodes.Keys.Single(k => k.StartsWith("grant:", StringComparison.Ordinal) && !k.Contains('/', StringComparison.Ordinal));
        foreach (var depth in new[] { 1, 3, 6 })
        {
            var counting = new CountingIndex(facts);
            var graph = await LineageGraph.OfAsync(counting, grant, depth);
            graph.Should().BeEquivalentTo(LineageGraph.Of(facts, grant, depth), "the same walk, asked in levels");
            graph!.Edges.Select(e => e.Order).Should().BeInAscendingOrder();
            counting.Calls.Should().BeLessThanOrEqualTo(2 * depth + 5, "one for the root, a call per level each way, three for the hops after, one for the nodes");
            counting.AskedOutgoing.Should().OnlyHaveUniqueItems();
            counting.AskedIncoming.Should().OnlyHaveUniqueItems();
        }
        (await LineageGraph.OfAsync(new CountingIndex(facts), "grant:nothing-of-the-kind", 3)).Should().BeNull();
    }

    private sealed class CountingIndex(LineageFacts facts) : ILineageIndex
    {
        public int Calls { get; private set; }
        public List<string> AskedOutgoing { get; } = [];
        public List<string> AskedIncoming { get; } = [];

        public ValueTask<IReadOnlyDictionary<string, LineageNode>> NodesAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default)
        {
            Calls++;
            return facts.NodesAsync(ids, ct);
        }

        public ValueTask<ILookup<string, LineageEdge>> OutgoingAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default)
        {
            Calls++;
            AskedOutgoing.AddRange(ids);
            return facts.OutgoingAsync(ids, ct);
        }

        public ValueTask<ILookup<string, LineageEdge>> IncomingAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default)
        {
            Calls++;
            AskedIncoming.AddRange(ids);
            return facts.IncomingAsync(ids, ct);
        }
    }
}
