using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Models.External;

/// <summary>
/// Runs an <see cref="ExternalModel"/>'s code once per subject, as a local process (the executor adapter; a batch
/// scheduler would be another one), or once per batch of subjects for a code that speaks <see cref="BatchProtocol"/>
/// (ExternalProcessSimulator.Batch.cs). The per-subject protocol, <see cref="SubjectProtocol"/>:
/// <list type="bullet">
/// <item>standard input: one JSON object, <c>{"protocol", "model", "version", "scenario", "duration", "timeUnit", "times": [..], "parameters": {name: value},
/// "subject", "seed"}</c>: the last two say which subject of the run this is and the seed a code that draws random numbers
/// must use (<see cref="SubjectIdentity"/>: the same on every silo and in every re-run);</item>
/// <item>standard output: one JSON object, <c>{"outputs": {name: [one number or null per time]}}</c>, every output of the descriptor;</item>
/// <item>exit code 0. Anything else (an exit code, a timeout, output that does not parse or misses a value) fails that
/// subject, as a solver failure does, and the run goes on; null is a missing value (NaN), as past a scenario's end.</item>
/// </list>
/// The process starts in an empty folder of its own (deleted after), with only PATH, HOME, LANG, TMPDIR and
/// <c>DTH_MODEL_DIR</c> (the descriptor's folder) in its environment: the silo's settings, among them its database
/// password, never reach a code the silo did not write; unless its descriptor says otherwise it has no network (a network
/// namespace of its own: <see cref="ProcessGroup.StartInfo"/>), and it runs under the descriptor's limits. The code leads a process group of its own
/// (<see cref="ProcessGroup"/>): a timeout or a cancelled run kills all of it, and whatever it leaves running when it
/// exits is killed then, so a background process can neither hold a worker nor outlive its subject.
/// </summary>
public sealed partial class ExternalProcessSimulator(ExternalModel model, ReadOnlySpan<double> outputTimes) : IPrefetchingSimulator
{
    /// <summary>The per-subject protocol's name and version, sent with every input.</summary>
    public const string SubjectProtocol = "dth.external-model/1";

    private readonly double[] _times = outputTimes.ToArray();

    /// <summary>Why the last subject failed (null when it completed).</summary>
    public string? LastFailure { get; private set; }

    public IntegrationStatus Solve(CompiledScenario scenario, ReadOnlySpan<double> parameters, Span<double> outputs, SubjectIdentity subject, CancellationToken cancellationToken)
    {
        var info = model.Info;
        if (parameters.Length != info.Parameters.Count) throw new ArgumentException($"Expected {info.Parameters.Count} parameters.", nameof(parameters));
        if (outputs.Length < _times.Length * info.Outputs.Count) throw new ArgumentException("Output span too short.", nameof(outputs));
        string? failure;
        // A batch code's subject: announced ahead, or a batch of one (RunBatch reports its failures).
        var batched = TakePrefetched(scenario, parameters, subject)
            ?? (model.BatchSize > 1 ? RunBatch([new SubjectCase(scenario, parameters.ToArray(), subject)], cancellationToken)[0] : null);
        if (batched is { } result)
        {
            failure = result.Failure;
            result.Outputs?.CopyTo(outputs);
        }
        else
        {
            var run = Execute(Input(scenario, parameters, subject), 1, cancellationToken);
            failure = run.Failure ?? Fill(run.Stdout!, outputs);
            Count(run, answered: failure is null);
            if (failure is not null) ExternalModel.ReportFailure(info.Id, failure);
        }
        LastFailure = failure;
        return failure is null ? IntegrationStatus.Completed : IntegrationStatus.ExternalCodeFailed;
    }

    private byte[] Input(CompiledScenario scenario, ReadOnlySpan<double> parameters, SubjectIdentity subject)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            WriteHeader(w, SubjectProtocol);
            WriteSubject(w, scenario, parameters, subject);
            w.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>What every input starts with: the protocol, the model, its time unit and the output times.</summary>
    private void WriteHeader(Utf8JsonWriter w, string protocol)
    {
        var info = model.Info;
        w.WriteString("protocol", protocol);
        w.WriteString("model", info.Id);
        w.WriteString("version", info.Version);
        w.WriteString("timeUnit", info.TimeUnit.Symbol);
        w.WriteStartArray("times");
        foreach (var t in _times) w.WriteNumberValue(t);
        w.WriteEndArray();
    }

    /// <summary>One subject's fields: its scenario and period, its parameters by name, its index and seed.</summary>
    private void WriteSubject(Utf8JsonWriter w, CompiledScenario scenario, ReadOnlySpan<double> parameters, SubjectIdentity subject)
    {
        w.WriteString("scenario", scenario.Source.Name);
        w.WriteNumber("duration", scenario.Duration);
        w.WriteStartObject("parameters");
        for (int i = 0; i < parameters.Length; i++) w.WriteNumber(model.Info.Parameters[i].Name, parameters[i]);
        w.WriteEndObject();
        w.WriteNumber("subject", subject.Index);
        w.WriteNumber("seed", subject.Seed);
    }

    /// <summary>Fills the outputs from the process's answer; null when it was complete, else what was wrong with it.</summary>
    private string? Fill(byte[] stdout, Span<double> outputs)
    {
        try
        {
            using var doc = JsonDocument.Parse(stdout);
            return Fill(doc.RootElement, outputs);
        }
        catch (JsonException e)
        {
            return "its output is not JSON: " + e.Message;
        }
    }

    /// <summary>Fills the outputs from one answer (<c>{"outputs": {...}}</c>); null when it was complete, else what was wrong with it.</summary>
    private string? Fill(JsonElement answer, Span<double> outputs)
    {
        var names = model.Info.Outputs;
        int ny = names.Count, nt = _times.Length;
        if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty("outputs", out var all) || all.ValueKind != JsonValueKind.Object)
            return "its output is not a JSON object with an 'outputs' object";
        for (int k = 0; k < ny; k++)
        {
            if (!all.TryGetProperty(names[k].Name, out var series) || series.ValueKind != JsonValueKind.Array)
                return $"its output has no array 'outputs.{names[k].Name}'";
            if (series.GetArrayLength() != nt) return $"'outputs.{names[k].Name}' has {series.GetArrayLength()} values for {nt} output times";
            int t = 0;
            foreach (var v in series.EnumerateArray())
            {
                if (v.ValueKind == JsonValueKind.Null) outputs[t * ny + k] = double.NaN;
                else if (v.ValueKind == JsonValueKind.Number) outputs[t * ny + k] = v.GetDouble();
                else return $"'outputs.{names[k].Name}[{t}]' is not a number or null";
                t++;
            }
        }
        return null;
    }

    /// <summary>A process's end: its standard output, or why it failed, with how it ended (an <see cref="ExternalOutcome"/>) and when.</summary>
    private readonly record struct Execution(byte[]? Stdout, string? Failure, string Outcome, TimeSpan Elapsed);

    /// <summary>Counts a process's end in the metrics; <paramref name="answered"/> says whether the answer of a process that exited with 0 followed the protocol.</summary>
    private void Count(Execution run, bool answered) =>
        ExternalCodeMetrics.Ended(model.Info.Id, run.Outcome == ExternalOutcome.Completed && !answered ? ExternalOutcome.BadAnswer : run.Outcome, run.Elapsed);

    /// <summary>Starts the process, feeds it the input, and waits for it: its standard output, or why it failed.</summary>
    /// <remarks>
    /// Blocking, on purpose and on threads of its own: this thread reads the standard output, a helper thread writes the
    /// input and reads the standard error. Asynchronous reads of a pipe hold a thread-pool thread each for as long as the
    /// process runs (minutes, for a heavy code), and a silo's pool threads are its messaging, ledger and HTTP. A timer
    /// and the cancellation kill the process tree, which ends the reads.
    /// </remarks>
    /// <param name="subjects">how many subjects the input holds: the timeout and the output bound are per subject.</param>
    private Execution Execute(byte[] input, int subjects, CancellationToken ct)
    {
        var timeout = BatchTimeout(model.Timeout, subjects);
        var maxOutput = BatchOutputLimit(model.MaxOutputBytes, subjects);
        if (NotExecutable() is { } why) return new(null, why, ExternalOutcome.NotStarted, TimeSpan.Zero);
        var work = Directory.CreateTempSubdirectory("dth-external-");
        var start = ProcessGroup.StartInfo(model.Command, model.Arguments, model.Limits, subjects, model.NetworkIsolated, CodeNamespaces.Hidden, CodeNamespaces.WritesConfined, work.FullName);
        start.RedirectStandardInput = start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment.Clear();
        foreach (var name in (string[])["PATH", "HOME", "LANG"])
            if (Environment.GetEnvironmentVariable(name) is { } value) start.Environment[name] = value;
        start.Environment["DTH_MODEL_DIR"] = model.Folder;
        // Its temporary files go with its working folder: on a silo the only place it can write besides /dev/shm.
        start.Environment["TMPDIR"] = work.FullName;
        using var process = new Process { StartInfo = start, EnableRaisingEvents = ProcessGroup.Setsid is not null };
        // The answer is complete when the code exits: whatever it left running in its group goes with it, which also
        // closes the pipes a background process inherited (the reads below end then instead of waiting for it).
        if (process.EnableRaisingEvents) process.Exited += (_, _) => ProcessGroup.Kill(process);
        try
        {
            ct.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            try
            {
                process.Start();
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                return new(null, $"'{model.Command}' did not start: {e.Message}", ExternalOutcome.NotStarted, clock.Elapsed);
            }
            catch (IOException e)
            {
                return new(null, $"'{model.Command}' did not start: {e.Message}", ExternalOutcome.NotStarted, clock.Elapsed);
            }
            ProcessGroup.Started(process);
            int ended = 0; // 1: timed out, 2: cancelled (whichever killed it first)
            void Kill(int why)
            {
                if (Interlocked.CompareExchange(ref ended, why, 0) != 0) return;
                ProcessGroup.Kill(process);
            }
            using var timer = new Timer(_ => Kill(1), null, timeout, Timeout.InfiniteTimeSpan);
            using var cancelled = ct.Register(() => Kill(2));
            byte[] error = [];
            var helper = new Thread(() =>
            {
                try
                {
                    process.StandardInput.BaseStream.Write(input);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The code exited without reading its input: its exit code and standard error say why.
                }
                error = Read(process.StandardError.BaseStream, 1 << 20).Bytes;
            }) { IsBackground = true, Name = "dth external stdin/stderr" };
            helper.Start();
            var (output, overflow) = Read(process.StandardOutput.BaseStream, maxOutput);
            helper.Join();
            process.WaitForExit();
            var elapsed = clock.Elapsed;
            switch (Volatile.Read(ref ended))
            {
                case 2:
                    ExternalCodeMetrics.Ended(model.Info.Id, ExternalOutcome.Cancelled, elapsed);
                    throw new OperationCanceledException(ct);
                case 1: return new(null, $"it ran longer than its timeout of {timeout.TotalSeconds:0.###} s{OfBatch(subjects)} and was killed", ExternalOutcome.Timeout, elapsed);
            }
            if (process.ExitCode != 0)
            {
                var (failure, outcome) = ExitFailure(process.ExitCode, Tail(error), subjects);
                return new(null, failure, outcome, elapsed);
            }
            if (overflow) return new(null, $"it wrote more than {maxOutput} bytes to its standard output", ExternalOutcome.OutputBound, elapsed);
            return new(output, null, ExternalOutcome.Completed, elapsed);
        }
        finally
        {
            if (!HasExited(process)) ProcessGroup.Kill(process);
            ProcessGroup.Ended(process);
            try { work.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Why a process that exited with <paramref name="exitCode"/> failed: the signal that ended it by name (a shell
    /// reports 128 + n for a child the signal ended, and .NET does for the process), and the limit it ran into when that
    /// is what the signal or its standard error says.
    /// </summary>
    private (string Failure, string Outcome) ExitFailure(int exitCode, string stderrTail, int subjects)
    {
        var limits = model.Limits;
        if (exitCode == 128 + SigXcpu && limits.CpuSeconds is { } cpu)
            return ($"it used more than its CPU time limit of {(long)cpu * subjects} s{OfBatch(subjects)} (executor.cpuSeconds) and was killed{stderrTail}", ExternalOutcome.CpuLimit);
        var signalled = exitCode is > 128 and <= 128 + 64;
        var how = signalled ? $"killed by signal {SignalName(exitCode - 128)} (exit code {exitCode})" : $"exit code {exitCode}";
        if (limits.MemoryMiB is { } mib && OutOfMemory.IsMatch(stderrTail))
            return ($"{how}{stderrTail} (its memory limit is {mib} MiB: executor.memoryMiB)", ExternalOutcome.MemoryLimit);
        return (how + stderrTail, signalled ? ExternalOutcome.Signal : ExternalOutcome.ExitCode);
    }

    private const int SigXcpu = 24;

    /// <summary>Says how many subjects a per-subject bound was multiplied by, for a batch's process.</summary>
    private static string OfBatch(int subjects) => subjects > 1 ? $" ({subjects} subjects)" : "";

    // What interpreters and runtimes print when an allocation fails: Python, glibc's strerror, C++, Java, Fortran, R, Julia.
    private static readonly System.Text.RegularExpressions.Regex OutOfMemory = new(
        "MemoryError|Cannot allocate memory|out of memory|bad_alloc|OutOfMemory|allocate (array|vector|memory)",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE", 9 => "SIGKILL",
        11 => "SIGSEGV", 13 => "SIGPIPE", 14 => "SIGALRM", 15 => "SIGTERM", 24 => "SIGXCPU", 25 => "SIGXFSZ",
        _ => signal.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Why the command, a file beside the descriptor, cannot be executed (null when it can, or is a program on the PATH).</summary>
    private string? NotExecutable()
    {
        if (OperatingSystem.IsWindows() || !Path.IsPathRooted(model.Command)) return null;
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(model.Command) & anyExecute) != 0 ? null
            : $"'{model.Command}' did not start: it is not executable (chmod +x it, or name its interpreter as the command)";
    }

    private static bool HasExited(Process process)
    {
        try { return process.HasExited; }
        catch (InvalidOperationException) { return true; } // never started
    }

    /// <summary>
    /// The most a batch's answer is read into the silo's memory, whatever its subjects' share: one answer per worker
    /// slot is held at once, so 16 MB a subject times a batch of 200 (3.2 GB) would exhaust a silo, and a stream past
    /// 2 GB cannot be held at all. A batch that needs more is cut into smaller ones (the model's batchSize).
    /// </summary>
    public const long MaxBatchOutputBytes = 256L * 1024 * 1024;

    /// <summary>The longest a batch may run: a timer's due time tops out near 49.7 days, and no batch should run for weeks.</summary>
    public static readonly TimeSpan MaxBatchTimeout = TimeSpan.FromDays(7);

    internal static TimeSpan BatchTimeout(TimeSpan perSubject, int subjects) =>
        perSubject.Ticks >= MaxBatchTimeout.Ticks / Math.Max(1, subjects) ? MaxBatchTimeout : perSubject * subjects;

    internal static long BatchOutputLimit(long perSubject, int subjects) =>
        perSubject >= MaxBatchOutputBytes / Math.Max(1, subjects) ? MaxBatchOutputBytes : perSubject * subjects;

    /// <summary>Reads a pipe to its end, keeping at most <paramref name="limit"/> bytes (the rest is drained, so the process never blocks on it).</summary>
    private static (byte[] Bytes, bool Overflow) Read(Stream pipe, long limit)
    {
        var kept = new MemoryStream();
        var buffer = new byte[64 * 1024];
        bool overflow = false;
        int n;
        while ((n = pipe.Read(buffer)) > 0)
        {
            var room = (int)Math.Min(n, limit - kept.Length);
            if (room < n) overflow = true;
            if (room > 0) kept.Write(buffer, 0, room);
        }
        return (kept.ToArray(), overflow);
    }

    private static string Tail(byte[] stderr)
    {
        if (stderr.Length == 0) return "";
        var text = Encoding.UTF8.GetString(stderr.AsSpan(Math.Max(0, stderr.Length - 2000))).Trim();
        return text.Length == 0 ? "" : ": " + text;
    }
}
