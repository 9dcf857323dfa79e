using System.Buffers;
using System.Text.Json;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Scenarios;

namespace DthGrains.Simulation.Models.External;

/// <summary>
/// The batch protocol, <see cref="BatchProtocol"/>, for a code whose start costs more than a subject (an interpreter, a
/// licence check, tables to load): one process for up to <see cref="ExternalModel.BatchSize"/> subjects.
/// <list type="bullet">
/// <item>standard input: <c>{"protocol", "model", "version", "timeUnit", "times": [..], "subjects": [{"subject", "seed",
/// "scenario", "duration", "parameters": {name: value}}, ..]}</c>;</item>
/// <item>standard output: <c>{"answers": [..]}</c>, one per subject in order: <c>{"outputs": {...}}</c> as in the
/// per-subject protocol, or <c>{"error": "why"}</c> for a subject the code could not simulate (that subject fails,
/// the others count);</item>
/// <item>exit code 0. A process that fails (an exit code, its timeout, an answer that does not parse or has another number
/// of answers) fails every subject of its batch, with the reason.</item>
/// </list>
/// The cohort path announces each chunk's subjects (<see cref="Prefetch"/>), a sensitivity study each base sample's
/// evaluations; a subject asked for alone (<c>dth sim external --try</c>) is a batch of one.
/// </summary>
public sealed partial class ExternalProcessSimulator
{
    /// <summary>The batch protocol's name and version, sent with every input.</summary>
    public const string BatchProtocol = "dth.external-model-batch/1";

    /// <summary>One subject's result from a batch: its outputs, or why it failed.</summary>
    private sealed record Result(SubjectCase Case, double[]? Outputs, string? Failure);

    private readonly Queue<Result> _ahead = new();

    public void Prefetch(IReadOnlyList<SubjectCase> cases, CancellationToken cancellationToken)
    {
        _ahead.Clear();
        if (model.BatchSize <= 1) return; // a process per subject: nothing to gain from knowing them first
        for (int start = 0; start < cases.Count; start += model.BatchSize)
            foreach (var result in RunBatch([.. cases.Skip(start).Take(model.BatchSize)], cancellationToken)) _ahead.Enqueue(result);
    }

    /// <summary>The next announced result when it is this subject's (same subject, scenario and parameters), else null (and the rest is dropped).</summary>
    private Result? TakePrefetched(CompiledScenario scenario, ReadOnlySpan<double> parameters, SubjectIdentity subject)
    {
        if (!_ahead.TryPeek(out var next)) return null;
        if (next.Case.Subject == subject && ReferenceEquals(next.Case.Scenario, scenario) && parameters.SequenceEqual(next.Case.Parameters))
            return _ahead.Dequeue();
        _ahead.Clear(); // asked for something else: what was announced is not what is being run
        return null;
    }

    /// <summary>One process for <paramref name="cases"/>; what failed is reported once (the process, or each answered error), not once per subject.</summary>
    private Result[] RunBatch(SubjectCase[] cases, CancellationToken ct)
    {
        var run = Execute(BatchInput(cases), cases.Length, ct);
        var failure = run.Failure;
        if (failure is null)
        {
            try
            {
                using var doc = JsonDocument.Parse(run.Stdout!);
                if (Answers(doc.RootElement, cases, out failure) is { } results)
                {
                    Count(run, answered: true);
                    foreach (var r in results)
                        if (r.Failure is not null) ExternalModel.ReportFailure(model.Info.Id, r.Failure);
                    return results;
                }
            }
            catch (JsonException e)
            {
                failure = "its output is not JSON: " + e.Message;
            }
        }
        Count(run, answered: false);
        ExternalModel.ReportFailure(model.Info.Id, $"{failure} ({cases.Length} subjects)");
        return [.. cases.Select(c => new Result(c, null, failure))];
    }

    /// <summary>Each subject's result from the answer; null (with <paramref name="failure"/>) when the answer as a whole is not one.</summary>
    private Result[]? Answers(JsonElement root, SubjectCase[] cases, out string? failure)
    {
        failure = null;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("answers", out var answers) || answers.ValueKind != JsonValueKind.Array)
        {
            failure = "its output is not a JSON object with an 'answers' array (protocol " + BatchProtocol + ")";
            return null;
        }
        if (answers.GetArrayLength() != cases.Length)
        {
            failure = $"it gave {answers.GetArrayLength()} answers for {cases.Length} subjects";
            return null;
        }
        var results = new Result[cases.Length];
        int i = 0;
        foreach (var answer in answers.EnumerateArray())
        {
            var outputs = new double[_times.Length * model.Info.Outputs.Count];
            var why = answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("error", out var error)
                ? "the code: " + (error.ValueKind == JsonValueKind.String ? error.GetString() : error.GetRawText())
                : Fill(answer, outputs);
            results[i] = new Result(cases[i], why is null ? outputs : null, why is null ? null : $"answer {i}: {why}");
            i++;
        }
        return results;
    }

    private byte[] BatchInput(SubjectCase[] cases)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            WriteHeader(w, BatchProtocol);
            w.WriteStartArray("subjects");
            foreach (var c in cases)
            {
                w.WriteStartObject();
                WriteSubject(w, c.Scenario, c.Parameters, c.Subject);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
