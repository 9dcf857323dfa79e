using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Solvers;
using DthGrains.Simulation.Units;

namespace DthGrains.Simulation.Models;

/// <summary>A state or an output: name, unit and meaning.</summary>
public sealed record VariableInfo(string Name, Unit Unit, string Description);

/// <summary>How an input acts on the model.</summary>
public enum InputKind
{
    /// <summary>A piecewise-constant level (an infusion or basal rate, a heart rate): set or added over intervals.</summary>
    Rate = 0,

    /// <summary>An amount given at one instant (a meal, a bolus, an oral dose): a jump in a state.</summary>
    Bolus = 1,
}

/// <summary>A scenario input of a model; scenario values are converted to <see cref="Unit"/> or rejected.</summary>
public sealed record InputInfo(string Name, Unit Unit, InputKind Kind, string Description, double DefaultValue = 0);

/// <summary>
/// A parameter with its provenance: value, plausible range, the source it was taken from (publication and table),
/// and its inter-individual distribution for virtual cohorts (null when it does not vary between individuals).
/// </summary>
public sealed record ParameterInfo(
    string Name,
    Unit Unit,
    string Description,
    double Value,
    double Lower,
    double Upper,
    string Source,
    Distribution? Variability = null);

/// <summary>
/// Identity and interface of a model. The version is semantic: a change of equations or defaults is a new version,
/// because results and their hashes depend on both.
/// </summary>
public sealed record ModelInfo(
    string Id,
    string Version,
    string Title,
    string Reference,
    Unit TimeUnit,
    IReadOnlyList<VariableInfo> States,
    IReadOnlyList<ParameterInfo> Parameters,
    IReadOnlyList<InputInfo> Inputs,
    IReadOnlyList<VariableInfo> Outputs,
    SolverKind PreferredSolver = SolverKind.Auto)
{
    /// <summary>Index of a parameter; unknown names list the valid ones.</summary>
    public int ParameterIndex(string name) => IndexOf(Parameters.Select(p => p.Name), name, "parameter");

    /// <summary>Index of an input.</summary>
    public int InputIndex(string name) => IndexOf(Inputs.Select(p => p.Name), name, "input");

    /// <summary>Index of an output.</summary>
    public int OutputIndex(string name) => IndexOf(Outputs.Select(p => p.Name), name, "output");

    private int IndexOf(IEnumerable<string> names, string name, string what)
    {
        int i = 0;
        foreach (var n in names)
        {
            if (string.Equals(n, name, StringComparison.Ordinal)) return i;
            i++;
        }
        throw new ArgumentException($"Model '{Id}' has no {what} '{name}'. Known: {string.Join(", ", names)}.");
    }
}
