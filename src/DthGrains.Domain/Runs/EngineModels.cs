using DthGrains.Domain.Governance;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Models.External;

namespace DthGrains.Domain.Runs;

/// <summary>A model the engine runs, in brief: what <c>GET /api/runs/models</c> lists.</summary>
/// <param name="Executor">null for the engine's own models; <c>local-process</c> for an external code (see <see cref="Simulation.Models.External.ExternalModel"/>).</param>
/// <param name="Installed">For an external code: whether this silo has it (the runs' shards go to silos that do); null for the engine's models.</param>
public sealed record EngineModelSummary(
    string Id, string? Alias, string Version, string Title, string TimeUnit, string[] Outputs, string[] Scenarios, int Parameters, int VaryingInCohorts,
    string? Executor = null, bool? Installed = null)
{
    /// <summary>For an external code: the live silos of the cluster that have it (its runs are refused while there is none); null for the engine's models.</summary>
    public ExternalModelHost[]? Hosts { get; init; }
}

/// <summary>A live silo that has an external model's code: its id (as in <c>GET /api/cluster/silos</c>), institutions and role.</summary>
public sealed record ExternalModelHost(string Silo, string[] Institutions, string Role);

/// <summary>A parameter as a run request may name it (parameters, ranges, uncertain), with its provenance.</summary>
/// <param name="Variability">The inter-individual distribution a cohort trial draws it from; null when it is the same for everyone.</param>
public sealed record EngineParameterView(
    string Name, string Unit, string Description, double Value, double Lower, double Upper, string Source, string? Variability);

/// <summary>A state or an output of a model.</summary>
public sealed record EngineVariableView(string Name, string Unit, string Description);

/// <summary>A scenario input (rate or bolus) with its unit.</summary>
public sealed record EngineInputView(string Name, string Unit, string Kind, string Description, double Default);

/// <summary>A named scenario with the period it simulates and the output step a run takes when none is given.</summary>
public sealed record EngineScenarioView(string Name, string Description, double Duration, double DefaultOutputStep, int Events);

/// <summary>
/// What a simulation client needs to write a run request for a model: its parameters (names for 'parameters', 'ranges'
/// and 'uncertain', with units, defaults, plausible ranges and sources), its outputs, inputs and named scenarios.
/// </summary>
/// <remarks>
/// An external code (<see cref="Executor"/> <c>local-process</c>) names its <see cref="CodeDigest"/> (of its descriptor and
/// code files: what its runs' provenance records) and what its process is sent and must answer (<see cref="Protocol"/>).
/// </remarks>
public sealed record EngineModelView(
    string Id, string? Alias, string Version, string Title, string Reference, string TimeUnit, string PreferredSolver, string EngineVersion,
    EngineScenarioView[] Scenarios, EngineParameterView[] Parameters, EngineVariableView[] Outputs, EngineInputView[] Inputs, EngineVariableView[] States,
    string? Executor = null, string? CodeDigest = null, string? Protocol = null, bool? Installed = null)
{
    /// <inheritdoc cref="EngineModelSummary.Hosts"/>
    public ExternalModelHost[]? Hosts { get; init; }

    /// <summary>For an external code with limits: what one of its processes may use (memory, CPU time a subject); otherwise null.</summary>
    public ExternalLimits? Limits { get; init; }

    /// <summary>For an external code: <c>none</c> when its processes run without a network (the default), <c>host</c> with the silo's; otherwise null.</summary>
    public string? Network { get; init; }
}

/// <summary>The engine's models described from their definitions (pure: the same answer on every silo of one engine version).</summary>
public static class EngineModels
{
    public static IReadOnlyList<EngineModelSummary> List() =>
        ModelLibrary.All.Select(m => (Model: m, Info: m.Info)).Select(x => new EngineModelSummary(
            x.Info.Id, ModelLibrary.AliasOf(x.Info.Id), x.Info.Version, x.Info.Title, x.Info.TimeUnit.Symbol, [.. x.Info.Outputs.Select(o => o.Name)],
            [.. x.Model.NamedScenarios.Select(s => s.Name)], x.Info.Parameters.Count, x.Info.Parameters.Count(p => p.Variability is not null),
            x.Model is ExternalModel ? LocalProcess : null, (x.Model as ExternalModel)?.IsInstalled)).ToList();

    /// <summary>The executor of external codes: a process per subject on the silo that runs the shard.</summary>
    public const string LocalProcess = "local-process";

    /// <summary>The model of this id or alias; null when there is none.</summary>
    public static EngineModelView? Describe(string idOrAlias)
    {
        var model = ModelLibrary.All.FirstOrDefault(m => m.Info.Id == idOrAlias || ModelLibrary.AliasOf(m.Info.Id) == idOrAlias);
        if (model is null) return null;
        var i = model.Info;
        return new EngineModelView(
            i.Id, ModelLibrary.AliasOf(i.Id), i.Version, i.Title, i.Reference, i.TimeUnit.Symbol, AccessPolicy.Kebab(i.PreferredSolver), RunPlanner.EngineVersion,
            [.. model.NamedScenarios.Select(s =>
            {
                var duration = s.TimeUnit.ConvertTo(s.Duration, i.TimeUnit);
                return new EngineScenarioView(s.Name, s.Description, duration, RunPlanner.DefaultStep(i, duration), s.Events.Count);
            })],
            [.. i.Parameters.Select(p => new EngineParameterView(p.Name, p.Unit.Symbol, p.Description, p.Value, p.Lower, p.Upper, p.Source, p.Variability?.Describe()))],
            [.. i.Outputs.Select(Variable)],
            [.. i.Inputs.Select(n => new EngineInputView(n.Name, n.Unit.Symbol, n.Kind == InputKind.Rate ? "rate" : "bolus", n.Description, n.DefaultValue))],
            [.. i.States.Select(Variable)])
        {
            Executor = model is ExternalModel ? LocalProcess : null,
            CodeDigest = (model as ExternalModel)?.CodeDigest,
            Protocol = (model as ExternalModel)?.Protocol,
            Installed = (model as ExternalModel)?.IsInstalled,
            Limits = model is ExternalModel { Limits.Any: true } external ? external.Limits : null,
            Network = (model as ExternalModel)?.Network,
        };
    }

    private static EngineVariableView Variable(VariableInfo v) => new(v.Name, v.Unit.Symbol, v.Description);
}
