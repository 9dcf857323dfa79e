using System.CommandLine;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Cli.Simulation;

/// <summary><c>dth sim local</c>: run a model on this machine, one individual or a virtual cohort.</summary>
internal static class LocalCommand
{
    public static Command Build()
    {
        var model = new Option<string>("--model", "-m") { Description = "Model: bergman, hovorka, windkessel, pkpd (or a full model id).", DefaultValueFactory = _ => "bergman" };
        var scenario = new Option<string>("--scenario", "-s") { Description = "Scenario: reference (the model's publication scenario); bergman also has 'day'.", DefaultValueFactory = _ => "reference" };
        var cohort = new Option<int>("--cohort", "-n") { Description = "Virtual cohort size; 0 runs the default individual.", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the cohort sampling (same seed, same cohort).", DefaultValueFactory = _ => 1UL };
        var step = new Option<double?>("--step") { Description = "Output step in model time units (one individual: 5 min, 1 h for pkpd, 0.01 s for windkessel; a cohort: the platform's default, as dth run submit)." };
        var rtol = new Option<double>("--rtol") { Description = "Relative tolerance.", DefaultValueFactory = _ => 1e-6 };
        var atol = new Option<double>("--atol") { Description = "Absolute tolerance.", DefaultValueFactory = _ => 1e-9 };
        var solver = new Option<SolverKind>("--solver") { Description = "Auto, DormandPrince45 or Rodas4.", DefaultValueFactory = _ => SolverKind.Auto };
        var output = new Option<string?>("--out", "-o") { Description = "CSV file to write (default: sim-<model>-<scenario>[-cohort].csv in the current directory)." };
        var request = new Option<FileInfo?>("--request", "-r")
        {
            Description = "A run request as JSON (the body of POST /api/runs, or request.json of a run's RO-Crate), of any kind: run here as the platform runs it, "
                + "with the same request hash, results and result hash (--out: its bands as CSV).",
        };
        // Checked here, so a wrong value is told as the option's mistake, not as the engine's exception about its field.
        cohort.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 0 or > 1_000_000) r.AddError("--cohort is 0 (the default individual) to 1000000 virtual patients."); });
        step.Validators.Add(r => { if (r.GetValueOrDefault<double?>() is { } v && !(v > 0 && double.IsFinite(v))) r.AddError("--step is a positive number of the model's time units."); });
        rtol.Validators.Add(r => { if (r.GetValueOrDefault<double>() is not (> 0 and < 1)) r.AddError("--rtol is between 0 and 1 (exclusive), e.g. 1e-6."); });
        atol.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() is > 0 and < double.PositiveInfinity)) r.AddError("--atol is a positive number, e.g. 1e-9."); });

        var cmd = new Command("local", "Run a simulation on this machine and print a summary (and percentile bands for a cohort).");
        var shaping = new Option[] { model, scenario, cohort, seed, step, rtol, atol, solver };
        foreach (var o in shaping.Append(output).Append(request)) cmd.Options.Add(o);
        // A request file is the whole request: an option that would shape another one is a mistake, not a default to mix in.
        cmd.Validators.Add(r =>
        {
            if (r.GetResult(request) is null) return;
            var mixed = shaping.Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
            if (mixed.Count > 0) r.AddError($"--request carries the whole request: leave out {string.Join(", ", mixed)} and set it in the request file instead.");
        });
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(request) is { } file)
            {
                try
                {
                    return LocalRequestRun.Execute(file, parse.GetValue(output), parse.GetValue(Platform.CliSettings.Json));
                }
                catch (Catalogue.UsageException e)
                {
                    Platform.CliErrors.Print(e.Message);
                    return Platform.CliErrors.Usage;
                }
            }
            var args = new LocalRunArguments(
                parse.GetValue(model)!, parse.GetValue(scenario)!, parse.GetValue(cohort), parse.GetValue(seed), parse.GetValue(step),
                new SolverOptions(parse.GetValue(solver), parse.GetValue(rtol), parse.GetValue(atol)), parse.GetValue(output), parse.GetValue(Platform.CliSettings.Json));
            return LocalRun.Execute(args);
        });
        return cmd;
    }
}

/// <summary>Parsed arguments of <c>dth sim local</c>.</summary>
internal sealed record LocalRunArguments(string Model, string Scenario, int Cohort, ulong Seed, double? Step, SolverOptions Solver, string? Out, bool Json);
