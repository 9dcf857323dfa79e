using System.Diagnostics;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Silo.Federation;

namespace DthGrains.Integration.Tests.Federation;

/// <summary>join.env as ops/join.sh reads it: sourced by bash, every value comes back as written, whatever it holds.</summary>
public sealed class JoinFileTests
{
    [Fact]
    public async Task Bash_sourcing_the_file_gets_back_every_value_quotes_dollars_and_semicolons_included()
    {
        var folder = Directory.CreateDirectory(TestPostgres.NewTemporaryFolder("join-file")).FullName;
        try
        {
            var values = new Dictionary<string, string>
            {
                ["DTH_CONNECTION_STRING"] = "Host=127.0.0.1;Port=41909;Database=dthgrains;Username=postgres",
                ["DTH_SIGNING_KEY"] = "/var/lib/it's $HOME `id` \"here\"/key.pem",
                ["DTH_CLUSTER_ID"] = "",
            };
            JoinFile.Write(folder, JoinFile.Render(values));
            if (!OperatingSystem.IsWindows()) File.GetUnixFileMode(JoinFile.PathIn(folder)).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, "only its owner reads where the data are");

            foreach (var (key, value) in values)
            {
                var bash = new ProcessStartInfo("bash") { RedirectStandardOutput = true };
                bash.ArgumentList.Add("-c");
                bash.ArgumentList.Add($"set -eu; source \"$1\"; printf '%s' \"${key}\"");
                bash.ArgumentList.Add("bash");
                bash.ArgumentList.Add(JoinFile.PathIn(folder));
                using var process = Process.Start(bash)!;
                var read = await process.StandardOutput.ReadToEndAsync();
                await process.WaitForExitAsync();
                process.ExitCode.Should().Be(0);
                read.Should().Be(value, $"{key} comes back as written");
            }
        }
        finally
        {
            TestPostgres.DeleteFolder(folder);
        }
    }
}
