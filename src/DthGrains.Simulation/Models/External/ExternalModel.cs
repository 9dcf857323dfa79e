using System.Security.Cryptography;
using System.Text.Json;
using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;
using DthGrains.Simulation.Units;

namespace DthGrains.Simulation.Models.External;

/// <summary>
/// A model whose numerics are someone else's code (a heavy simulator, a legacy Fortran program, a Python model) that a
/// silo runs as a local process per subject, through the protocol of <see cref="ExternalProcessSimulator"/>. To runs it
/// looks like any model: cohorts, sweeps, Monte-Carlo and sensitivity studies, statistics, bands, per-subject rows and
/// provenance all work unchanged. It has no inputs: what a scenario does is the code's business, named by the scenario.
/// </summary>
public sealed class ExternalModel : SimulationModel
{
    private readonly ModelInfo _info;
    private readonly Scenario[] _scenarios;

    private ExternalModel(ModelInfo info, Scenario[] scenarios, string folder, string command, bool installed, string[] arguments, TimeSpan timeout, long maxOutputBytes,
        int batchSize, ExternalLimits limits, bool networkIsolated, string digest)
    {
        _info = info; _scenarios = scenarios; Folder = folder; Command = command; Arguments = arguments; Timeout = timeout;
        MaxOutputBytes = maxOutputBytes; BatchSize = batchSize; Limits = limits; NetworkIsolated = networkIsolated; CodeDigest = digest;
        _commandFound = installed;
        // A silo that cannot confine the code as its descriptor says (limits, no network, its folders hidden) does not
        // run it unconfined: it does not have it. Decided once, so IsInstalled and NotRunnableHere always agree.
        _confinementProblem = ConfinementProblem(limits, networkIsolated, mounts: CodeNamespaces.WritesConfined);
        IsInstalled = installed && _confinementProblem is null;
    }

    private readonly bool _commandFound;
    private readonly string? _confinementProblem;

    /// <summary>Why this process cannot confine a code as asked; null when it can.</summary>
    private static string? ConfinementProblem(ExternalLimits limits, bool networkIsolated, bool mounts)
    {
        if (limits.Any && ProcessGroup.Prlimit is null) return "it limits its processes (" + limits + ") and util-linux's prlimit is not on the PATH here";
        // The why names the namespaces (its network when executor.network is 'none', the default; the silo's data folder
        // and key hidden; its PIDs) and what is missing.
        return CodeNamespaces.Problem(networkIsolated, mounts) is { } why ? $"it runs confined, and {why}" : null;
    }

    /// <summary>
    /// Hides <paramref name="folders"/> (folders or files: a silo's data folder, with its database and socket, and its
    /// signing key) from every external code this process starts, until the registration is disposed. Call it before
    /// loading descriptors.
    /// </summary>
    public static IDisposable HideFromCodes(IEnumerable<string> folders) => CodeNamespaces.Hide(folders);

    /// <summary>What the codes this process starts do not see now (registered, whether or not each path exists).</summary>
    public static IReadOnlyList<string> HiddenFromCodes => CodeNamespaces.Hidden;

    /// <summary>
    /// Makes the external codes this process starts run as a silo's do, on a read-only file system writing only their
    /// scratch (working folder and /dev/shm), and without a sight of this user's credentials (<see cref="CredentialsOf"/>),
    /// also where nothing else is hidden (<c>dth</c> on a workstation: a developer's
    /// try finds what would fail on a silo, and an auditor's re-run cannot change the auditor's files), until the
    /// registration is disposed; call it before loading descriptors. Null, with <paramref name="why"/>, where this
    /// machine cannot (user namespaces off, a mount that cannot be made read-only): its codes then run as before.
    /// </summary>
    public static IDisposable? ConfineWritesOfCodes(out string? why)
    {
        why = CodeNamespaces.Problem(isolateNetwork: false, mounts: true);
        // On a workstation too, a code confined as a silo's does not see its user's credentials: an auditor re-running
        // a partner's code keeps the auditor's keys.
        return why is null ? CodeNamespaces.ConfineWrites(CredentialsOf(UserHome)) : null;
    }

    /// <summary>The home folder of this process's user ("" when it has none).</summary>
    public static string UserHome => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>
    /// Where a user keeps credentials and command histories, under the home folder <paramref name="home"/>, by the
    /// common tools' defaults: SSH and GnuPG keys, cloud and cluster logins (AWS, Azure, Google Cloud, Kubernetes,
    /// Docker registries, Vault, Terraform), PostgreSQL's and netrc passwords, git, GitHub CLI, package registries'
    /// tokens (npm, PyPI, Cargo, Maven, NuGet), keyrings and pass stores, and shell, psql and Python histories. A silo
    /// hides them from its codes (which run as its user) beside its own secrets, and so does <c>dth</c> where it
    /// confines codes: a code has no business with its user's logins, and could send them out on a host network. The
    /// paths that do not exist are left out when a code starts. Empty for an empty <paramref name="home"/>.
    /// </summary>
    public static IReadOnlyList<string> CredentialsOf(string home) =>
        string.IsNullOrEmpty(home) || !Path.IsPathRooted(home) ? [] : [.. CredentialPaths.Select(p => Path.Combine(home, p))];

    private static readonly string[] CredentialPaths =
    [
        ".ssh", ".gnupg", ".aws", ".azure", ".config/gcloud", ".kube", ".docker", ".vault-token", ".terraform.d",
        ".pgpass", ".netrc", ".git-credentials", ".config/git/credentials", ".config/gh", ".npmrc", ".pypirc",
        ".cargo/credentials", ".cargo/credentials.toml", ".m2/settings.xml", ".nuget/NuGet/NuGet.Config",
        ".local/share/keyrings", ".password-store", ".bash_history", ".zsh_history", ".psql_history", ".python_history",
        // dth's own settings hold its bearer token: an auditor re-running a partner's code keeps that too.
        ".config/dth",
    ];

    public override ModelInfo Info => _info;

    public override Scenario ReferenceScenario => _scenarios[0];

    public override IReadOnlyList<Scenario> NamedScenarios => _scenarios;

    /// <summary>The descriptor's folder: the code's files, and what the process finds in <c>DTH_MODEL_DIR</c>.</summary>
    public string Folder { get; }

    /// <summary>The program started (a full path when it lies in <see cref="Folder"/>).</summary>
    public string Command { get; }

    /// <summary>
    /// True when this process can start the code: the command is a file beside the descriptor or a program on the PATH.
    /// A silo without it still plans runs of the model; its workers refuse the shards, which go to silos that have it.
    /// </summary>
    public bool IsInstalled { get; }

    /// <summary>What one process may use (memory, CPU time); enforced through util-linux <c>prlimit</c>.</summary>
    public ExternalLimits Limits { get; }

    /// <summary>True (the default) when its processes run without a network, in a network namespace of their own.</summary>
    public bool NetworkIsolated { get; }

    /// <summary>Its descriptor's <c>executor.network</c>, defaults filled in: <see cref="ExternalExecutor.NoNetwork"/> or <see cref="ExternalExecutor.HostNetwork"/>.</summary>
    public string Network => NetworkIsolated ? ExternalExecutor.NoNetwork : ExternalExecutor.HostNetwork;

    public IReadOnlyList<string> Arguments { get; }

    /// <summary>How long one subject may take.</summary>
    public TimeSpan Timeout { get; }

    public long MaxOutputBytes { get; }

    /// <summary>Subjects one process takes at most: 1, the per-subject protocol; more, the batch protocol (<see cref="Protocol"/>).</summary>
    public int BatchSize { get; }

    /// <summary>What its processes are sent and must answer: <see cref="ExternalProcessSimulator.SubjectProtocol"/> or <see cref="ExternalProcessSimulator.BatchProtocol"/>.</summary>
    public string Protocol => BatchSize > 1 ? ExternalProcessSimulator.BatchProtocol : ExternalProcessSimulator.SubjectProtocol;

    /// <summary>
    /// <c>sha256:</c> of the descriptor and of every file in its folder that the command or the arguments name: what the
    /// run's provenance records, so a result says exactly which code computed it.
    /// </summary>
    public string CodeDigest { get; }

    /// <summary>Called when a subject's process fails, with the model id and what went wrong (its standard error's tail): the silo logs it.</summary>
    public static event Action<string, string>? ProcessFailed;

    internal static void ReportFailure(string modelId, string reason) => ProcessFailed?.Invoke(modelId, reason);

    /// <summary>Progress after every process: a subject each (which may run for minutes), or a batch.</summary>
    public override int SubjectsPerChunk => BatchSize;

    public override ISubjectSimulator CreateSimulator(SolverOptions options, ReadOnlySpan<double> outputTimes) => IsInstalled
        ? new ExternalProcessSimulator(this, outputTimes)
        : throw new InvalidOperationException(NotRunnableHere);

    public override string? NotRunnableHere => IsInstalled ? null : !_commandFound
        ? $"The code of external model '{Info.Id}' is not installed on this silo ('{Command}' is neither a file in {Folder} nor a program on the PATH): " +
          "install it here, or start a silo that has it."
        : $"External model '{Info.Id}' cannot be confined here as its descriptor says: {_confinementProblem}. Install util-linux (apt-get install " +
          "util-linux) and allow user namespaces on this silo, set 'executor.network' to 'host' if the code must reach the network, or start a silo that can.";

    /// <summary>Reads and checks a descriptor file; every problem is in the exception's message, with the file's path.</summary>
    public static ExternalModel Load(string descriptorPath)
    {
        var path = Path.GetFullPath(descriptorPath);
        byte[] bytes;
        ExternalModelDescriptor? d;
        try
        {
            bytes = File.ReadAllBytes(path);
            d = JsonSerializer.Deserialize<ExternalModelDescriptor>(bytes, ExternalModelDescriptor.Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new InvalidDataException($"External model '{path}': {e.Message}", e);
        }
        if (d is null) throw new InvalidDataException($"External model '{path}': the file holds no descriptor.");
        var problems = d.Problems().ToList();
        var folder = Path.GetDirectoryName(path)!;
        if (problems.Count > 0) throw new InvalidDataException($"External model '{path}':{Environment.NewLine}- " + string.Join(Environment.NewLine + "- ", problems));

        var timeUnit = UnitRegistry.Parse(d.TimeUnit!);
        var parameters = d.Parameters!.Select(p => new ParameterInfo(p.Name!, UnitRegistry.Descriptive(p.Unit ?? "1"), p.Description ?? "", p.Value, p.Lower, p.Upper,
            p.Source ?? "", p.CohortCv is { } cv ? LogNormalDistribution.FromMedianCv(p.Value, cv) : null)).ToArray();
        var outputs = d.Outputs!.Select(o => new VariableInfo(o.Name!, UnitRegistry.Descriptive(o.Unit ?? "1"), o.Description ?? "")).ToArray();
        // No states (an external code's are its own) and no inputs (its scenarios are named, not scheduled).
        var info = new ModelInfo(d.Id!, d.Version!, d.Title!, d.Reference ?? "", timeUnit, [], parameters, [], outputs);
        var scenarios = d.Scenarios!.Select(s => new Scenario(s.Name, s.Duration, timeUnit, [], s.Description ?? "")).ToArray();
        var named = d.Executor!.Arguments ?? [];
        // The process starts in a folder of its own: an argument naming a file beside the descriptor is passed as its full path.
        var arguments = named.Select(a => InFolder(folder, a) ?? a).ToArray();
        // A silo that has the descriptor but not the code still knows the model (it may accept and plan runs of it); its
        // shards go to the silos that have the code (IsInstalled, published in the silo's metadata).
        var command = ResolveCommand(folder, d.Executor.Command!);
        return new ExternalModel(info, scenarios, folder, command ?? d.Executor.Command!, command is not null, arguments, TimeSpan.FromSeconds(d.Executor.TimeoutSeconds), d.Executor.MaxOutputBytes,
            d.Executor.BatchSize, new ExternalLimits(d.Executor.MemoryMiB, d.Executor.CpuSeconds), d.Executor.Network != ExternalExecutor.HostNetwork, Digest(bytes, folder, [d.Executor.Command!, .. named]));
    }

    /// <summary>How descriptor files are named, so that a code's own JSON files beside them are left alone.</summary>
    public const string DescriptorPattern = "*.model.json";

    /// <summary>Every descriptor (<see cref="DescriptorPattern"/>) in <paramref name="folder"/> and its sub-folders, in path order.</summary>
    public static IReadOnlyList<ExternalModel> LoadFolder(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The external models' folder '{Path.GetFullPath(folder)}' does not exist (Dth:Runs:ExternalModels).");
        return Directory.EnumerateFiles(folder, DescriptorPattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(Load).ToList();
    }

    /// <summary>The full path of <paramref name="name"/> when it is a file in <paramref name="folder"/> (or below it).</summary>
    private static string? InFolder(string folder, string name)
    {
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        var file = Path.GetFullPath(Path.Combine(folder, name));
        return file.StartsWith(root, StringComparison.Ordinal) && File.Exists(file) ? file : null;
    }

    /// <summary>Loads every descriptor of <paramref name="folder"/> (<see cref="LoadFolder"/>) and registers each in the <see cref="ModelLibrary"/>: what a silo does at start, and an auditor's re-run.</summary>
    public static IReadOnlyList<ExternalModel> RegisterFolder(string folder)
    {
        var models = LoadFolder(folder);
        foreach (var model in models) ModelLibrary.Register(model);
        return models;
    }

    private static string? ResolveCommand(string folder, string command)
    {
        if (InFolder(folder, command) is { } local) return local;
        if (command.Contains('/') || command.Contains('\\')) return null;
        return ProcessGroup.FindOnPath(command) is not null ? command : null;
    }

    private static string Digest(byte[] descriptor, string folder, IEnumerable<string> named)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(descriptor);
        foreach (var name in named)
        {
            if (InFolder(folder, name) is not { } file) continue;
            // The name goes in with the bytes, so two files swapped between names change the digest.
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(folder, file) + "\n"));
            sha.AppendData(File.ReadAllBytes(file));
        }
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
