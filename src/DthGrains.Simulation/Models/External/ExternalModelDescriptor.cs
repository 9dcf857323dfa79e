using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace DthGrains.Simulation.Models.External;

/// <summary>
/// An external model as its operator describes it in a JSON file (schema: <c>schemas/models/external-model.schema.json</c>):
/// the interface runs see (parameters with provenance and ranges, outputs, scenarios, time unit) and how to run the code.
/// </summary>
public sealed record ExternalModelDescriptor(
    string? Id,
    string? Version,
    string? Title,
    string? Reference,
    string? TimeUnit,
    ExternalParameter[]? Parameters,
    ExternalOutput[]? Outputs,
    ExternalScenario[]? Scenarios,
    ExternalExecutor? Executor,
    [property: JsonPropertyName("$schema")] string? Schema = null)
{
    /// <summary>The most subjects one process of a batch code may take.</summary>
    public const int MaxBatchSize = 10_000;

    /// <summary>How descriptor files are read: camelCase names, comments and trailing commas allowed, unknown names refused.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Model ids: lower case, digits, dots and dashes (they appear in URLs, file names and hashes).</summary>
    public static readonly Regex IdRule = new("^[a-z0-9][a-z0-9.-]{1,62}[a-z0-9]$", RegexOptions.CultureInvariant);

    /// <summary>Scenario names: what a run request's 'scenario' says.</summary>
    public static readonly Regex ScenarioRule = new("^[a-z0-9][a-z0-9.-]{0,63}$", RegexOptions.CultureInvariant);

    /// <summary>Parameter and output names: what a run request and the external code's JSON name them by.</summary>
    public static readonly Regex NameRule = new("^[A-Za-z_][A-Za-z0-9_]{0,63}$", RegexOptions.CultureInvariant);

    /// <summary>Everything wrong with the descriptor, each naming the field and the fix; empty when it is usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Id is null || !IdRule.IsMatch(Id)) problems.Add("'id' is 3 to 64 characters: lower-case letters, digits, dots and dashes, starting and ending with a letter or digit.");
        if (string.IsNullOrWhiteSpace(Version)) problems.Add("'version' is required (semantic: a changed code or interface is a new version).");
        if (string.IsNullOrWhiteSpace(Title)) problems.Add("'title' is required.");
        if (TimeUnit is null || !IsTimeUnit(TimeUnit)) problems.Add("'timeUnit' is one of s, min, h, d.");
        Names(Parameters?.Select(p => p.Name), "parameters", problems);
        foreach (var p in Parameters ?? [])
        {
            if (!(double.IsFinite(p.Value) && double.IsFinite(p.Lower) && double.IsFinite(p.Upper) && p.Lower <= p.Value && p.Value <= p.Upper && p.Lower < p.Upper))
                problems.Add($"Parameter '{p.Name}': 'lower' < 'upper' and 'value' within them, all finite numbers.");
            if (p.CohortCv is { } cv && !(cv > 0 && cv <= 2)) problems.Add($"Parameter '{p.Name}': 'cohortCv' (the coefficient of variation between individuals) is in (0, 2].");
            if (p.CohortCv is not null && p.Value <= 0) problems.Add($"Parameter '{p.Name}': a parameter that varies between individuals (log-normal, 'cohortCv') has a positive 'value'.");
        }
        Names(Outputs?.Select(o => o.Name), "outputs", problems);
        if (Scenarios is null || Scenarios.Length == 0) problems.Add("'scenarios' names at least one scenario (the first is the reference): { \"name\": \"reference\", \"duration\": 24 }.");
        else
        {
            if (Scenarios.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count() != Scenarios.Length) problems.Add("'scenarios': each name once.");
            foreach (var s in Scenarios)
            {
                if (s.Name is null || !ScenarioRule.IsMatch(s.Name)) problems.Add($"Scenario '{s.Name}': a name of lower-case letters, digits, dots and dashes.");
                if (!(double.IsFinite(s.Duration) && s.Duration > 0 && s.Duration <= 1e7)) problems.Add($"Scenario '{s.Name}': 'duration' is a positive number (in the model's time unit), at most 1e7.");
            }
        }
        if (Executor is null || string.IsNullOrWhiteSpace(Executor.Command)) problems.Add("'executor.command' is required: the program to start (a file beside the descriptor, or a program on the silo's PATH).");
        else if (!(Executor.TimeoutSeconds is > 0 and <= 7 * 24 * 3600)) problems.Add("'executor.timeoutSeconds' (per subject) is between 1 and 604800.");
        else if (Executor.MaxOutputBytes is <= 0 or > 1L << 30) problems.Add("'executor.maxOutputBytes' is between 1 and 1073741824.");
        else if (Executor.BatchSize is < 1 or > MaxBatchSize) problems.Add($"'executor.batchSize' is between 1 (a process per subject) and {MaxBatchSize}.");
        else if (Executor.MemoryMiB is < 16 or > 1 << 20) problems.Add("'executor.memoryMiB' (what one process may allocate) is between 16 and 1048576.");
        else if (Executor.CpuSeconds is < 1 or > 7 * 24 * 3600) problems.Add("'executor.cpuSeconds' (per subject) is between 1 and 604800.");
        else if (Executor.Network is not (null or ExternalExecutor.NoNetwork or ExternalExecutor.HostNetwork))
            problems.Add($"'executor.network' is '{ExternalExecutor.NoNetwork}' (the default: no network, not even a loopback) or '{ExternalExecutor.HostNetwork}' (the silo's network: for a code that must reach a licence server, say).");
        return problems;
    }

    private static bool IsTimeUnit(string symbol)
    {
        try
        {
            return Units.UnitRegistry.Parse(symbol).Dimension == "time";
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void Names(IEnumerable<string?>? names, string field, List<string> problems)
    {
        var list = names?.ToList() ?? [];
        if (list.Count == 0) problems.Add($"'{field}' lists at least one.");
        foreach (var name in list)
            if (name is null || !NameRule.IsMatch(name)) problems.Add($"'{field}': '{name}' is not a name (letters, digits and '_', starting with a letter or '_', at most 64).");
        if (list.Distinct(StringComparer.Ordinal).Count() != list.Count) problems.Add($"'{field}': each name once.");
    }
}

/// <summary>A parameter: its default and plausible range, where it comes from, and (optionally) how it varies between individuals.</summary>
/// <param name="CohortCv">Coefficient of variation of a log-normal distribution around <see cref="Value"/> that cohort trials draw it from; null: the same for everyone.</param>
public sealed record ExternalParameter(string? Name, string? Unit, string? Description, double Value, double Lower, double Upper, string? Source, double? CohortCv = null);

/// <summary>An output the code writes for every output time.</summary>
public sealed record ExternalOutput(string? Name, string? Unit, string? Description);

/// <summary>A scenario the code knows by name, and how long it simulates (in the model's time unit).</summary>
public sealed record ExternalScenario(string Name, double Duration, string? Description);

/// <summary>How a silo runs the code: one process per subject.</summary>
/// <param name="Command">A file in the descriptor's folder, or a program on the PATH (for example python3).</param>
/// <param name="Arguments">Arguments, passed as they are (no shell), except that one naming a file in the descriptor's folder is passed as its full path (the process starts in a folder of its own) and hashed into the code digest.</param>
/// <param name="TimeoutSeconds">How long one subject may run before its process is killed and the subject counted as failed.</param>
/// <param name="MaxOutputBytes">The most a process may write to its standard output; more fails the subject (default 16 MB).</param>
/// <param name="BatchSize">Subjects a process takes at most: 1 (the default) speaks the per-subject protocol; more speaks the
/// batch protocol, one process for up to this many subjects (a code whose start costs more than a subject does: an
/// interpreter, a licence check, tables to load). Timeout and output bound are per subject, so a batch gets them times its size.</param>
/// <param name="MemoryMiB">The most memory one process may allocate (its data segment and private writable mappings:
/// RLIMIT_DATA), so a runaway code fails its subject instead of starving the silo; null: no limit.</param>
/// <param name="CpuSeconds">The most CPU time one subject's process may use (RLIMIT_CPU, times the batch's size), which a
/// code busy on every core reaches before its wall-clock timeout; null: no limit.</param>
/// <param name="Network"><see cref="NoNetwork"/> (null means it): the process runs in a network namespace of its own, so
/// the parameters it is sent (from a dataset's subjects, in a seeded cohort) cannot leave the silo through it;
/// <see cref="HostNetwork"/>: the silo's network, for a code that must reach a licence server or a service.</param>
public sealed record ExternalExecutor(string? Command, string[]? Arguments, double TimeoutSeconds = 600, long MaxOutputBytes = 16L << 20, int BatchSize = 1,
    int? MemoryMiB = null, int? CpuSeconds = null, string? Network = null)
{
    /// <summary>No network at all, not even a loopback: the default.</summary>
    public const string NoNetwork = "none";

    /// <summary>The silo's network.</summary>
    public const string HostNetwork = "host";
}
