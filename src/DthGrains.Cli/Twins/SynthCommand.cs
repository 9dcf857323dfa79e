using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using DthGrains.Cli.Platform;
using DthGrains.Fhir.Datasets;
using DthGrains.Fhir.Synthetic;
using Spectre.Console;

namespace DthGrains.Cli.Twins;

/// <summary>
/// <c>dth synth</c>: writes FHIR R4 transaction bundles of virtual patients generated from a model, one file per patient,
/// plus <c>truth.json</c> with each patient's hidden parameters, so that calibration can be checked against the truth.
/// Program.cs wires it in; this class is its only entry point.
/// </summary>
public static class SynthCommands
{
    private static readonly JsonSerializerOptions TruthJson = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Builds <c>synth</c>.</summary>
    public static Command Build()
    {
        var model = new Option<string>("--model", "-m") { Description = "Model to generate from: hovorka.", DefaultValueFactory = _ => "hovorka" };
        var patients = new Option<int>("--patients", "-n") { Description = "Number of virtual patients.", DefaultValueFactory = _ => 20 };
        var days = new Option<int>("--days", "-d") { Description = "Days of data per patient (CGM every 5 min, 3 meals a day).", DefaultValueFactory = _ => 3 };
        var seed = new Option<ulong>("--seed") { Description = "Seed (same seed, byte-identical bundles).", DefaultValueFactory = _ => 1UL };
        var output = new Option<string?>("--out", "-o") { Description = "Folder to write (default: ./synth-<model>-seed<seed>)." };
        var unit = new Option<string>("--glucose-unit") { Description = "CGM unit: mmol/L (LOINC 15074-8) or mg/dL (LOINC 2339-0).", DefaultValueFactory = _ => "mmol/L" };
        var start = new Option<string?>("--start") { Description = "First day of the data, yyyy-MM-dd (UTC; default 2024-01-01)." };
        var verify = new Option<bool>("--verify") { Description = "Read every bundle back with the strict dataset reader." };

        var cmd = new Command("synth", "Generate synthetic patients as FHIR R4 transaction bundles, with their hidden model parameters.");
        foreach (var o in new Option[] { model, patients, days, seed, output, unit, start, verify }) cmd.Options.Add(o);
        cmd.SetAction(parse => Execute(
            parse.GetValue(model)!, parse.GetValue(patients), parse.GetValue(days), parse.GetValue(seed), parse.GetValue(output),
            parse.GetValue(unit)!, parse.GetValue(start), parse.GetValue(verify), parse.GetValue(CliSettings.Json)));
        return cmd;
    }

    private static int Execute(string model, int patients, int days, ulong seed, string? output, string unit, string? start, bool verify, bool json)
    {
        SyntheticCohortRequest request;
        try
        {
            request = new SyntheticCohortRequest(model, patients, days, seed) { GlucoseUnit = unit };
            if (start is not null)
            {
                if (!DateOnly.TryParseExact(start, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                    throw new ArgumentException($"--start must be a date yyyy-MM-dd, not '{start}'.");
                request = request with { Start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) };
            }
            request.Validate();
            _ = SyntheticPatients.GeneratePatient(request with { Patients = 1, Days = 1 }, 0); // the model is supported
        }
        catch (ArgumentException e)
        {
            // Bad input is the user's to fix: say what, without a stack trace, on standard error (with --json too, so that
            // standard output only ever holds the result), and exit as every usage mistake does.
            CliErrors.Print(Plain(e));
            return CliErrors.Usage;
        }

        string folder = Path.GetFullPath(output ?? $"synth-{model.ToLowerInvariant()}-seed{seed}");
        Directory.CreateDirectory(folder);
        var generated = new SyntheticPatient[request.Patients];
        var failures = new string?[request.Patients];
        void One(int i)
        {
            var p = SyntheticPatients.GeneratePatient(request, i);
            File.WriteAllText(Path.Combine(folder, FileName(p)), p.BundleJson);
            if (verify && DatasetBundleReader.Read(p.BundleJson).Failure is { } f) failures[i] = f.OperationOutcomeJson;
            generated[i] = p;
        }

        if (json) Parallel.For(0, request.Patients, One);
        else
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"{request.Patients} virtual patients × {request.Days} d", maxValue: request.Patients);
                    Parallel.For(0, request.Patients, i => { One(i); task.Increment(1); });
                });
        }

        string truthPath = Path.Combine(folder, "truth.json");
        File.WriteAllText(truthPath, JsonSerializer.Serialize(new
        {
            model = generated[0].Truth.ModelId, modelVersion = generated[0].Truth.ModelVersion, seed = request.Seed,
            patientCount = request.Patients, days = request.Days, start = request.Start, glucoseUnit = request.GlucoseUnit,
            sensorNoise = "independent Gaussian, SD = sensorNoiseSd + sensorNoiseCv * G (mmol/L), clipped to 2.2-22.2 mmol/L",
            patients = generated.Select(p => new { p.Pseudonym, bundle = FileName(p), truth = p.Truth }),
        }, TruthJson));

        int failed = failures.Count(f => f is not null);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                folder, truth = truthPath, verified = verify, failed,
                patients = generated.Select(p => new { p.Pseudonym, file = FileName(p), p.Gender, p.BirthYear, p.Summary, p.Truth.BasalUnitsPerHour, p.Truth.CarbRatioGramsPerUnit }),
            }, TruthJson));
            return failed == 0 ? 0 : 1;
        }

        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{generated[0].Truth.ModelId} · seed {request.Seed} · {request.Days} d · glucose in {request.GlucoseUnit}"))
            .AddColumns("patient", "sex", "born", "kg", "basal U/h", "g/U", "mean", "min", "max", "TIR %");
        foreach (var p in generated)
        {
            var s = p.Summary;
            table.AddRow(p.Pseudonym, p.Gender, p.BirthYear.ToString(CultureInfo.InvariantCulture), F(p.Truth.Parameters["BW"]), F(p.Truth.BasalUnitsPerHour),
                F(p.Truth.CarbRatioGramsPerUnit), F(s.MeanGlucose), F(s.MinGlucose), F(s.MaxGlucose), F(s.TimeInRangePercent));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"wrote {generated.Length} bundles ({generated.Sum(p => p.Summary.Entries):N0} entries) and [link]{truthPath}[/] to [link]{folder}[/]");
        if (verify)
        {
            if (failed == 0) AnsiConsole.MarkupLine("[green]every bundle reads back with the strict dataset reader[/]");
            else foreach (var (f, i) in failures.Select((f, i) => (f, i)).Where(x => x.f is not null))
                AnsiConsole.MarkupLineInterpolated($"[red]{generated[i].Pseudonym} refused:[/] {f}");
        }
        return failed == 0 ? 0 : 1;
    }

    /// <summary>The message without the " (Parameter 'x')" and "Actual value was" lines meant for developers.</summary>
    private static string Plain(ArgumentException e)
    {
        string m = e.Message.Split('\n')[0];
        int cut = e.ParamName is null ? -1 : m.LastIndexOf($" (Parameter '{e.ParamName}')", StringComparison.Ordinal);
        return cut > 0 ? m[..cut] : m;
    }

    private static string FileName(SyntheticPatient p) => $"{p.Pseudonym}.json";

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
