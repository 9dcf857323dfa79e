using System.Text.Json.Nodes;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;

namespace DthGrains.Grains.Runs;

/// <summary>
/// The compact form of a run's durable events that followers receive (live and on replay alike): type, version, the
/// run's status and counts after the event, and the event's own salient fields. Results stay in the read model.
/// </summary>
public static class RunEventJson
{
    /// <param name="emittedAt">when a live event left the run grain (after its commit); absent on replay from the stream.</param>
    public static RunStreamEvent Describe(string runId, long version, object e, RunState after, DateTimeOffset? emittedAt = null)
    {
        var type = EventTypeRegistry.NameOf(e.GetType());
        var o = new JsonObject
        {
            ["type"] = type,
            ["version"] = version,
            ["status"] = AccessPolicy.Kebab(after.Status),
            ["shardsDone"] = after.Shards.Count,
            ["shardsTotal"] = after.ShardsTotal,
            ["subjectsDone"] = after.SubjectsDone,
            ["subjectsTotal"] = after.Submitted?.Subjects ?? 0,
        };
        switch (e)
        {
            case RunSubmitted s:
                o["at"] = s.SubmittedAt; o["modelId"] = s.ModelId; o["modelVersion"] = s.ModelVersion; o["requestHash"] = s.RequestHash; o["kind"] = AccessPolicy.Kebab(s.Kind);
                break;
            case RunStarted s: o["at"] = s.StartedAt; break;
            case CohortSeeded s:
                o["at"] = s.SeededAt; o["requestHash"] = s.RequestHash; o["dataset"] = s.Seed.Dataset; o["datasetVersion"] = s.Seed.DatasetVersion;
                o["subjectsUsed"] = s.Seed.Subjects;
                break;
            case ShardCompleted s:
                o["at"] = s.CompletedAt; o["shard"] = s.Shard; o["from"] = s.From; o["to"] = s.To; o["silo"] = s.Silo; o["elapsedMs"] = s.ElapsedMs;
                if (s.SiloRole is { } role) o["siloRole"] = role;
                if (s.SiloInstitutions is { } institutions) o["siloInstitutions"] = new JsonArray([.. institutions.Select(i => (JsonNode)i)]);
                break;
            case RunSuspended s: o["at"] = s.SuspendedAt; o["reason"] = s.Reason; o["dataset"] = s.Dataset; break;
            case RunResumed s: o["at"] = s.ResumedAt; break;
            case RunCancelled s: o["at"] = s.CancelledAt; o["reason"] = s.Reason; o["by"] = s.By; break;
            case RunFailed s: o["at"] = s.FailedAt; o["reason"] = s.Reason; break;
            case RunRowsReleased s: o["at"] = s.ReleasedAt; o["reason"] = s.Reason; o["by"] = s.By; o["shardsReleased"] = s.Shards; break;
            case RunCompleted s: o["at"] = s.CompletedAt; o["resultHash"] = s.ResultHash; o["failed"] = s.Failed; break;
        }
        if (emittedAt is { } emitted) o["emittedAt"] = emitted;
        return new RunStreamEvent(runId, version, type, o.ToJsonString());
    }

    /// <summary>The fields of run events (stored names, per event type) that <see cref="Describe"/> never uses: the results.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> ResultFields = new Dictionary<string, string[]>
    {
        [RunEventTypes.Names[typeof(ShardCompleted)]] = ["statistics", "rows", "subjects", "sensitivity", "sensitivitySums", "sensitivityAlso"],
        [RunEventTypes.Names[typeof(RunCompleted)]] = [.. RunCompleted.ResultProperties.Select(System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName)],
    };

    public static bool IsTerminal(string type) => type is "runs.run_completed" or "runs.run_cancelled" or "runs.run_failed";
}
