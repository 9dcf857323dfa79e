using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Cli;

/// <summary>`dth sim external`, in-process: an operator's check of descriptors before a silo restart (no platform called).</summary>
public sealed class SimExternalCliTests : IDisposable
{
    private static readonly Uri Nowhere = new("http://127.0.0.1:9/");
    private readonly string _dir = Directory.CreateTempSubdirectory("dth-sim-external-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Output)> Dth(params string[] args) => await CliRunner.RunAsync(Nowhere, "no-token", ["sim", "external", .. args]);

    private static string Examples => Path.Combine(Repository.Root(), "silo-config", "external-models");

    [Fact]
    public async Task The_example_checks_out_and_one_subject_runs_here_with_its_outputs()
    {
        var (code, output) = await Dth(Examples, "--try");
        code.Should().Be(0, output);
        output.Should().Contain("one-compartment-iv").And.Contain("yes (python3)").And.Contain("sha256:").And.Contain("Every descriptor checks out")
            .And.Contain("one per subject").And.Contain("one per batch of up to 64 subjects");
        // C at t = 0 after a 100 mg bolus into 50 L, and the amount at 24 h: 100·exp(-0.1·24).
        output.Should().Contain("one subject, default parameters, scenario reference").And.Contain("│ 2 ").And.Contain((100 * Math.Exp(-2.4)).ToString("G4", System.Globalization.CultureInfo.InvariantCulture));

        var (jsonCode, json) = await Dth(Examples, "--try", "--json");
        jsonCode.Should().Be(0, json);
        var model = CliRunner.JsonIn(json).GetProperty("models")[0];
        model.GetProperty("installed").GetBoolean().Should().BeTrue();
        model.GetProperty("tried").GetProperty("completed").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task A_descriptor_with_problems_is_what_a_silo_would_refuse_and_a_failing_code_fails_the_check()
    {
        File.WriteAllText(Path.Combine(_dir, "bad.model.json"), """{ "id": "x", "version": "1" }""");
        var (code, output) = await Dth(_dir);
        code.Should().Be(1, output);
        output.Should().Contain("A silo would not start").And.Contain("'id' is 3 to 64 characters").And.Contain("'outputs' lists at least one");

        File.Delete(Path.Combine(_dir, "bad.model.json"));
        ExternalCodes.Script(Path.Combine(_dir, "fail.sh"), "#!/bin/sh\necho 'licence server unreachable' >&2\nexit 4\n");
        File.WriteAllText(Path.Combine(_dir, "fail.model.json"), """
            { "id": "fails-here", "version": "1.0.0", "title": "t", "timeUnit": "s",
              "parameters": [ { "name": "a", "value": 1, "lower": 0, "upper": 2 } ], "outputs": [ { "name": "b" } ],
              "scenarios": [ { "name": "reference", "duration": 1 } ], "executor": { "command": "fail.sh" } }
            """);
        var (tried, triedOutput) = await Dth(_dir, "--try");
        tried.Should().Be(1, triedOutput);
        triedOutput.Should().Contain("fails-here: one subject failed").And.Contain("exit code 4: licence server unreachable");
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("KILL")] // (not INT: a test run started in the background of a shell inherits SIGINT ignored, and so would dth)
    public async Task An_interrupted_or_killed_try_leaves_no_code_running(string signal)
    {
        // A real dth process (signals reach a process, not a test's in-process run) trying a code that hangs. Its code
        // warden kills the code when dth ends, also at a SIGKILL, at which nothing in dth runs.
        if (OperatingSystem.IsWindows()) return;
        ExternalCodes.Hanging(_dir, "hangs-here");
        using var dth = DthProcess.Start("sim", "external", _dir, "--try");
        try
        {
            var output = dth.StandardOutput.ReadToEndAsync();
            var errors = dth.StandardError.ReadToEndAsync();
            var marker = await Eventually.Until(() => Task.FromResult(ExternalCodes.Started(_dir) is [var first, ..] ? first : ""),
                m => m.Length > 0 || dth.HasExited, TimeSpan.FromSeconds(60), "the code to start");
            marker.Should().NotBeEmpty("the code started (dth exited first: {0})", dth.HasExited ? await errors : "");

            using (var term = System.Diagnostics.Process.Start("kill", ["-" + signal, dth.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            await dth.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1)); // a bound on a hang, not a timing
            _ = await output;
            await Eventually.Until(() => Task.FromResult(ExternalCodes.IsRunning(marker)), running => !running, TimeSpan.FromSeconds(30), $"the code of the try that got SIG{signal} to be killed");
        }
        finally
        {
            if (!dth.HasExited) dth.Kill(entireProcessTree: true); // a failed test leaves no dth behind
        }
    }

    [Fact]
    public async Task A_try_runs_the_code_as_a_silo_would_so_one_that_writes_beside_itself_fails_here()
    {
        // A real dth process: an in-process one would share this test process's confinement with other tests' silos.
        if (OperatingSystem.IsWindows()) return;
        var answer = "echo '{\"outputs\": {\"b\": [1, 1, 1, 1, 1]}}'";
        ExternalCodes.Script(Path.Combine(_dir, "scratch.sh"), $"#!/bin/sh\ncat > /dev/null\necho x > here && echo y > \"$TMPDIR/there\" && {answer}\n");
        ExternalCodes.Script(Path.Combine(_dir, "beside.sh"), $"#!/bin/sh\ncat > /dev/null\necho x > \"$DTH_MODEL_DIR/cache\" && {answer}\n");
        foreach (var (id, script) in new[] { ("writes-scratch", "scratch.sh"), ("writes-beside", "beside.sh") })
            File.WriteAllText(Path.Combine(_dir, id + ".model.json"), $$"""
                { "id": "{{id}}", "version": "1.0.0", "title": "t", "timeUnit": "s",
                  "parameters": [ { "name": "a", "value": 1, "lower": 0, "upper": 2 } ], "outputs": [ { "name": "b" } ],
                  "scenarios": [ { "name": "reference", "duration": 1 } ], "executor": { "command": "{{script}}", "network": "host" } }
                """);

        var (code, text, errors) = await DthProcess.RunAsync("sim", "external", _dir, "--try");
        code.Should().Be(1, text + errors);
        text.Should().Contain("writes-beside: one subject failed").And.Contain("Read-only file system")
            .And.Contain("Tried as on a silo: on a read-only file system").And.NotContain("writes-scratch: one subject failed");
        File.Exists(Path.Combine(_dir, "cache")).Should().BeFalse();
    }

    [Fact]
    public async Task A_try_keeps_the_users_credentials_out_of_the_codes_sight_as_a_silo_does()
    {
        // A real dth with a home of the test's: its codes see the notes in it, not the SSH key or the .pgpass.
        if (OperatingSystem.IsWindows()) return;
        var home = Directory.CreateDirectory(Path.Combine(_dir, "home")).FullName;
        Directory.CreateDirectory(Path.Combine(home, ".ssh"));
        File.WriteAllText(Path.Combine(home, ".ssh", "id_ed25519"), "a private key");
        File.WriteAllText(Path.Combine(home, ".pgpass"), "localhost:5432:*:postgres:a password");
        File.WriteAllText(Path.Combine(home, "notes.txt"), "the user's own notes");
        var models = Directory.CreateDirectory(Path.Combine(_dir, "models")).FullName;
        ExternalCodes.Script(Path.Combine(models, "peek.sh"), "#!/bin/sh\ncat > /dev/null\n" +
            // A hidden file reads as empty (/dev/null lies over it), a hidden folder not at all.
            "if [ -n \"$(cat \"$HOME/.ssh/id_ed25519\" 2> /dev/null)\" ]; then echo 'read the SSH key' >&2; exit 3; fi\n" +
            "if [ -n \"$(cat \"$HOME/.pgpass\" 2> /dev/null)\" ]; then echo 'read the .pgpass' >&2; exit 4; fi\n" +
            "cat \"$HOME/notes.txt\" > /dev/null || exit 5\n" +
            "echo '{\"outputs\": {\"b\": [1, 1, 1, 1, 1]}}'\n");
        File.WriteAllText(Path.Combine(models, "peek.model.json"), """
            { "id": "peek-home", "version": "1.0.0", "title": "t", "timeUnit": "s",
              "parameters": [ { "name": "a", "value": 1, "lower": 0, "upper": 2 } ], "outputs": [ { "name": "b" } ],
              "scenarios": [ { "name": "reference", "duration": 1 } ], "executor": { "command": "peek.sh", "network": "host" } }
            """);

        var (code, text, errors) = await DthProcess.RunAsync(new Dictionary<string, string> { ["HOME"] = home }, "sim", "external", models, "--try");
        code.Should().Be(0, text + errors);
        text.Should().Contain("Tried as on a silo").And.NotContain("one subject failed");
    }
}
