using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Governance;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Reproducibility;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Domain.Runs;

/// <summary>The canonical request hash: what makes two runs the same request.</summary>
public static partial class RunPlanner
{
    /// <summary>SHA-256 over the engine's canonical request (RequestHasher) and the run's own fields in a fixed order.</summary>
    private static string Hash(RunRequest r, ModelInfo info, Scenario scenario, SolverOptions solver, OutputGrid grid)
    {
        var simulation = new SimulationRequest(info.Id, info.Version, scenario, solver, grid, r.Parameters, r.Seed,
            r.Kind is RunKind.CohortTrial or RunKind.MonteCarlo ? new CohortSpec(r.Size ?? 1, r.Uncertain?.Select(u => u.Parameter).ToArray(), r.Percentiles) : null);
        using var ms = new MemoryStream();
        ms.Write(RequestHasher.Canonicalize(simulation));
        ms.WriteByte((byte)'\n');
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("schema", HashSchema);
            w.WriteString("kind", AccessPolicy.Kebab(r.Kind));
            w.WriteStartArray("scenarios");
            foreach (var s in r.Scenarios ?? []) w.WriteStringValue(s);
            w.WriteEndArray();
            w.WriteStartArray("ranges");
            foreach (var g in r.Ranges ?? []) { w.WriteStartArray(); w.WriteStringValue(g.Parameter); Num(w, g.Lower); Num(w, g.Upper); w.WriteEndArray(); }
            w.WriteEndArray();
            if (r.PointsPerAxis is { } p) w.WriteNumber("pointsPerAxis", p); else w.WriteNull("pointsPerAxis");
            w.WriteStartArray("uncertain");
            foreach (var u in r.Uncertain ?? []) { w.WriteStartArray(); w.WriteStringValue(u.Parameter); Num(w, u.Cv); w.WriteEndArray(); }
            w.WriteEndArray();
            if (r.Size is { } size) w.WriteNumber("size", size); else w.WriteNull("size");
            if (r.ShardSize is { } shard) w.WriteNumber("shardSize", shard); else w.WriteNull("shardSize");
            w.WriteStartArray("percentiles");
            foreach (var q in r.Percentiles ?? DefaultPercentiles) Num(w, q);
            w.WriteEndArray();
            w.WritePropertyName("bandAccuracy");
            Num(w, BandAccuracy);
            w.WriteStartArray("datasets");
            foreach (var d in (r.Datasets ?? []).Order(StringComparer.Ordinal)) w.WriteStringValue(d);
            w.WriteEndArray();
            // Only when present, so requests without a plan keep their hashes.
            if (r.Plan is { } plan)
            {
                w.WriteStartObject("plan");
                w.WriteString("name", plan.Name);
                w.WritePropertyName("hours");
                Num(w, plan.Hours);
                w.WritePropertyName("basalUnitsPerHour");
                Num(w, plan.BasalUnitsPerHour);
                w.WriteStartArray("meals");
                foreach (var m in plan.Meals ?? []) { w.WriteStartArray(); Num(w, m.AtMinute); Num(w, m.Carbohydrate); Num(w, m.BolusUnits ?? 0); w.WriteEndArray(); }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            // Likewise only when present: the seed's dataset version, subjects and fitted distributions determine the cohort.
            if (r.CohortFrom is { } seed)
            {
                w.WriteStartObject("cohortFrom");
                w.WriteString("dataset", seed.Dataset);
                w.WriteString("datasetVersion", seed.DatasetVersion);
                if (seed.Subjects is { } used) w.WriteNumber("subjects", used); else w.WriteNull("subjects");
                if (seed.Excluded is { } excluded) w.WriteNumber("excluded", excluded); else w.WriteNull("excluded");
                w.WriteString("method", seed.Method);
                w.WriteStartArray("parameters");
                foreach (var d in seed.Parameters ?? []) { w.WriteStartArray(); w.WriteStringValue(d.Parameter); Num(w, d.Median); Num(w, d.Cv); w.WriteEndArray(); }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            // Likewise only when present: the output and statistic a sensitivity study analyses, and the further ones.
            if (r.SensitivityOf is { } target)
            {
                w.WriteStartObject("sensitivityOf");
                w.WriteString("output", target.Output);
                w.WriteString("statistic", target.Statistic);
                w.WriteEndObject();
            }
            if (r.SensitivityAlso is { } also)
            {
                w.WriteStartArray("sensitivityAlso");
                foreach (var t in also) { w.WriteStartArray(); w.WriteStringValue(t.Output); w.WriteStringValue(t.Statistic); w.WriteEndArray(); }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Convert.ToHexStringLower(SHA256.HashData(ms.ToArray()));

        static void Num(Utf8JsonWriter w, double v) => w.WriteRawValue(v.ToString("R", CultureInfo.InvariantCulture));
    }
}
