using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Provenance;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Runs;
using DthGrains.Integration.Tests.Provenance;
using Marten;
using Npgsql;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// A shard's per-subject rows are stored beside the stream (dth.run_rows), in the transaction that appends its event;
/// the event pins them by digest, and rows changed or lost afterwards are refused when read back.
/// </summary>
public sealed class RunRowsStoreTests
{
    private static (string Id, RunPlan Plan, List<object> Events, List<ShardCompleted> Shards) Run(int shards)
    {
        var id = Guid.NewGuid().ToString("D");
        var plan = RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, "hovorka", Size: shards * 10, Seed: 3, Duration: 60, ShardSize: 10)).Plan!;
        var submitted = RunDecisions.Submit(RunState.Initial(id), plan, new Actor("rita", "Rita", "tum", [Roles.Researcher]), [], [], DateTimeOffset.UtcNow);
        var produced = Enumerable.Range(0, shards).Select(i =>
        {
            var output = RunPlanner.ExecuteShard(plan, i);
            var (from, to) = plan.ShardRange(i);
            return new ShardCompleted(id, i, from, to, output.Statistics, null, null, "silo", 1, DateTimeOffset.UtcNow, output.Rows);
        }).ToList();
        return (id, plan, [.. submitted.Events], produced);
    }

    /// <summary>A completed run of <paramref name="shards"/> shards, appended in one go: its id, stream and the shards as produced.</summary>
    private static async Task<(string Id, string Stream, List<ShardCompleted> Produced)> AppendCompletedRunAsync(LedgerStore ledger, int shards)
    {
        var (id, plan, submitted, produced) = Run(shards);
        var stream = RunEventTypes.StreamOf(id);
        var state = submitted.Aggregate(RunState.Initial(id), RunState.Evolve);
        await ledger.Log.AppendAsync(stream, 0, [.. submitted, .. RunDecisions.CompleteShards(state, produced, plan, new ShardStatisticsFold(plan.Times.Length * plan.Outputs.Length)).Events], LedgerStore.Context);
        return (id, stream, produced);
    }

    [Fact]
    public async Task Rows_are_stored_beside_the_stream_with_their_event_and_read_back_only_as_recorded()
    {
        await using var ledger = await LedgerStore.CreateAsync();
        var (id, stream, produced) = await AppendCompletedRunAsync(ledger, 3);

        await using var connection = new NpgsqlConnection(ledger.ConnectionString);
        await connection.OpenAsync();
        async Task<long> Count(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("s", stream);
            command.Parameters.AddWithValue("r", id);
            return (long)(await command.ExecuteScalarAsync())!;
        }
        (await Count("select count(*) from dth.mt_events where stream_id = @s and type = 'runs.shard_completed' and jsonb_typeof(data->'rowsDigest') = 'string' and coalesce(jsonb_typeof(data->'rows'), 'null') = 'null'"))
            .Should().Be(3, "each shard event records the digest, not the rows");
        (await Count("select count(*) from dth.run_rows where run_id = @r")).Should().Be(3);

        var store = ledger.Get<IDocumentStore>();
        var recorded = (await ledger.Log.ReadAsync(stream)).Select(e => e.Data).OfType<ShardCompleted>().ToList();
        recorded.Should().AllSatisfy(s => s.Rows.Should().BeNull());
        var read = await RunRowsStore.WithRowsAsync(store, recorded, CancellationToken.None);
        read.Select(s => s.SubjectValues()).Should().BeEquivalentTo(produced.Select(s => s.SubjectValues()), o => o.WithStrictOrdering());

        await using (var tamper = new NpgsqlCommand("update dth.run_rows set data = set_byte(data, 9, get_byte(data, 9) # 1) where run_id = @r and shard = 1", connection))
        {
            tamper.Parameters.AddWithValue("r", id);
            (await tamper.ExecuteNonQueryAsync()).Should().Be(1);
        }
        var changed = () => RunRowsStore.WithRowsAsync(store, recorded, CancellationToken.None);
        (await changed.Should().ThrowAsync<InvalidDataException>()).WithMessage("*shard 1 of run*do not match the digest*");
        (await RunRowsStore.WithRowsAsync(store, [recorded[0], recorded[2]], CancellationToken.None)).Should().HaveCount(2, "the other shards still read");

        await using (var delete = new NpgsqlCommand("delete from dth.run_rows where run_id = @r and shard = 0", connection))
        {
            delete.Parameters.AddWithValue("r", id);
            await delete.ExecuteNonQueryAsync();
        }
        var lost = () => RunRowsStore.WithRowsAsync(store, [recorded[0]], CancellationToken.None);
        (await lost.Should().ThrowAsync<InvalidDataException>()).WithMessage("*shard 0 of run*missing*");
    }

    [Fact]
    public async Task The_ledger_audit_finds_rows_changed_or_lost_beside_their_shard_events()
    {
        await using var ledger = await LedgerStore.CreateAsync();
        var (id, stream, _) = await AppendCompletedRunAsync(ledger, 3);
        var (clean, _) = await ledger.Audit.VerifyAsync(null);
        clean!.Ok.Should().BeTrue();

        (await ledger.SqlAsync("update dth.run_rows set data = set_byte(data, 0, get_byte(data, 0) # 1) where run_id = @r and shard = 1", ("r", id))).Should().Be(1);
        (await ledger.SqlAsync("delete from dth.run_rows where run_id = @r and shard = 2", ("r", id))).Should().Be(1);

        var (result, _) = await ledger.Audit.VerifyAsync(null);
        result!.Ok.Should().BeFalse();
        // Versions: submission 1, start 2, shards 3 to 5, completion 6.
        result.Findings.Should().HaveCount(2).And.OnlyContain(f => f.Kind == LedgerFindingKind.ResultRowsAltered && f.Stream == stream);
        result.Findings.Select(f => (f.Version, f.Detail.Contains("changed"), f.Detail.Contains("gone")))
            .Should().BeEquivalentTo([(4L, true, false), (5L, false, true)]);
    }

    [Fact]
    public async Task An_append_that_fails_stores_no_rows()
    {
        await using var ledger = await LedgerStore.CreateAsync();
        var (id, plan, submitted, produced) = Run(2);
        var stream = RunEventTypes.StreamOf(id);
        await ledger.Log.AppendAsync(stream, 0, submitted, LedgerStore.Context);
        var state = submitted.Aggregate(RunState.Initial(id), RunState.Evolve);
        var shard = RunDecisions.CompleteShard(state, produced[0], plan, new ShardStatisticsFold(plan.Times.Length * plan.Outputs.Length)).Events;

        var stale = () => ledger.Log.AppendAsync(stream, 1, shard, LedgerStore.Context);
        await stale.Should().ThrowAsync<StreamConflictException>();

        await using var connection = new NpgsqlConnection(ledger.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("select count(*) from dth.run_rows where run_id = @r", connection);
        count.Parameters.AddWithValue("r", id);
        ((long)(await count.ExecuteScalarAsync())!).Should().Be(0, "the rows are written in the append's transaction");

        await ledger.Log.AppendAsync(stream, submitted.Count, shard, LedgerStore.Context);
        ((long)(await count.ExecuteScalarAsync())!).Should().Be(1);
    }

    /// <summary>
    /// Rows released on purpose (runs.rows_released) are deleted in the transaction that records the release, and the
    /// audit expects them gone; rows present again after a release must still be the recorded ones.
    /// </summary>
    [Fact]
    public async Task Released_rows_are_deleted_with_their_event_and_the_audit_expects_them_gone()
    {
        await using var ledger = await LedgerStore.CreateAsync();
        var (id, stream, produced) = await AppendCompletedRunAsync(ledger, 3);
        var state = (await ledger.Log.ReadAsync(stream)).Aggregate(RunState.Initial(id), (s, e) => RunState.Evolve(s, e.Data));
        state.Status.Should().Be(RunStatus.Completed);
        var owner = new Actor("rita", "Rita", "tum", [Roles.Researcher]);
        var released = RunDecisions.ReleaseRows(state, owner, "storage", DateTimeOffset.UtcNow);
        released.Events.Should().ContainSingle().Which.Should().BeOfType<RunRowsReleased>().Which.Shards.Should().Be(3);
        await ledger.Log.AppendAsync(stream, state.Version, released.Events, LedgerStore.Context);

        (await ledger.ScalarAsync<long>("select count(*) from dth.run_rows where run_id = @r", ("r", id))).Should().Be(0);
        var (clean, _) = await ledger.Audit.VerifyAsync(null);
        clean!.Ok.Should().BeTrue("rows released on purpose are not missing");

        // Rows put back after the release are checked as before: different ones are a finding.
        var forged = produced[1].Rows!;
        var data = (byte[])forged.Data.Clone();
        data[0] ^= 1;
        (await ledger.SqlAsync("insert into dth.run_rows (run_id, shard, format, width, data) values (@r, 1, @f, @w, @d)",
            ("r", id), ("f", forged.Format), ("w", forged.Width), ("d", data))).Should().Be(1);
        var (result, _) = await ledger.Audit.VerifyAsync(null);
        result!.Findings.Should().ContainSingle().Which.Should().Match<LedgerFinding>(f => f.Kind == LedgerFindingKind.ResultRowsAltered && f.Version == 4);
    }
}
