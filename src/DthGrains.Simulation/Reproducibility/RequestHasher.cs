using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DthGrains.Simulation.Scenarios;

namespace DthGrains.Simulation.Reproducibility;

/// <summary>
/// Canonical serialisation and SHA-256 of a <see cref="SimulationRequest"/>.
/// The canonical form is compact UTF-8 JSON with: object members in a fixed, documented order (below), dictionary
/// keys sorted ordinally, numbers as shortest round-trip doubles ("R" semantics, invariant culture), enum values as
/// names, scenario events in their given order (order is meaningful for equal times), no insignificant whitespace.
/// Member order: schema, model{id,version}, parameters{sorted}, scenario{name,duration,timeUnit,events[{type,time,
/// input,value,unit,duration?}]}, solver{kind,rtol,atol,maxStep,maxSteps,initialStep}, output{start,end,step},
/// seed, cohort{size,varying[],percentiles[]} or null. Changing this form is a new schema number.
/// </summary>
public static class RequestHasher
{
    /// <summary>Version of the canonical form.</summary>
    public const string Schema = "dth.simulation.request/1";

    /// <summary>The canonical UTF-8 bytes.</summary>
    public static byte[] Canonicalize(SimulationRequest r)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = false, SkipValidation = false }))
        {
            w.WriteStartObject();
            w.WriteString("schema", Schema);
            w.WriteStartObject("model");
            w.WriteString("id", r.ModelId);
            w.WriteString("version", r.ModelVersion);
            w.WriteEndObject();
            w.WriteStartObject("parameters");
            foreach (var (k, v) in (r.Parameters ?? new Dictionary<string, double>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
                WriteNumber(w, k, v);
            w.WriteEndObject();
            WriteScenario(w, r.Scenario);
            w.WriteStartObject("solver");
            w.WriteString("kind", r.Solver.Kind.ToString());
            WriteNumber(w, "rtol", r.Solver.RelativeTolerance);
            WriteNumber(w, "atol", r.Solver.AbsoluteTolerance);
            WriteNumber(w, "maxStep", r.Solver.MaxStep);
            w.WriteNumber("maxSteps", r.Solver.MaxSteps);
            WriteNumber(w, "initialStep", r.Solver.InitialStep);
            w.WriteEndObject();
            w.WriteStartObject("output");
            WriteNumber(w, "start", r.Output.Start);
            WriteNumber(w, "end", r.Output.End);
            WriteNumber(w, "step", r.Output.Step);
            w.WriteEndObject();
            w.WriteNumber("seed", r.Seed);
            if (r.Cohort is null) w.WriteNull("cohort");
            else
            {
                w.WriteStartObject("cohort");
                w.WriteNumber("size", r.Cohort.Size);
                w.WriteStartArray("varying");
                foreach (var name in r.Cohort.VaryingParameters ?? []) w.WriteStringValue(name);
                w.WriteEndArray();
                w.WriteStartArray("percentiles");
                foreach (var p in r.Cohort.Percentiles ?? CohortSpec.DefaultPercentiles) WriteNumberValue(w, p);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    /// <summary>Lower-case hex SHA-256 of the canonical form.</summary>
    public static string Hash(SimulationRequest r) => Convert.ToHexStringLower(SHA256.HashData(Canonicalize(r)));

    /// <summary>The canonical form as text (for audit displays).</summary>
    public static string CanonicalText(SimulationRequest r) => Encoding.UTF8.GetString(Canonicalize(r));

    private static void WriteScenario(Utf8JsonWriter w, Scenario s)
    {
        w.WriteStartObject("scenario");
        w.WriteString("name", s.Name);
        WriteNumber(w, "duration", s.Duration);
        w.WriteString("timeUnit", s.TimeUnit.Symbol);
        w.WriteStartArray("events");
        foreach (var e in s.Events)
        {
            w.WriteStartObject();
            switch (e)
            {
                case BolusEvent b: Common(w, "bolus", e); WriteNumber(w, "value", b.Amount.Value); w.WriteString("unit", b.Amount.Unit.Symbol); break;
                case RateEvent r: Common(w, "rate", e); WriteNumber(w, "value", r.Rate.Value); w.WriteString("unit", r.Rate.Unit.Symbol); break;
                case InfusionEvent f: Common(w, "infusion", e); WriteNumber(w, "value", f.Rate.Value); w.WriteString("unit", f.Rate.Unit.Symbol); WriteNumber(w, "duration", f.Duration); break;
                default: throw new NotSupportedException($"Event type {e.GetType().Name} has no canonical form.");
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();

        static void Common(Utf8JsonWriter w, string type, ScenarioEvent e)
        {
            w.WriteString("type", type);
            WriteNumber(w, "time", e.Time);
            w.WriteString("input", e.Input);
        }
    }

    // Non-finite numbers are not JSON: written as strings so that, e.g., an infinite MaxStep still hashes stably.
    private static void WriteNumber(Utf8JsonWriter w, string name, double v)
    {
        w.WritePropertyName(name);
        WriteNumberValue(w, v);
    }

    private static void WriteNumberValue(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteRawValue(v.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        else w.WriteStringValue(v.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
