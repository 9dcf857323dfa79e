using System.CommandLine;
using DthGrains.Cli.Platform;

namespace DthGrains.Cli.Identity;

/// <summary><c>dth token</c>: mints a token for the standalone platform with its local signing key.</summary>
public static class TokenCommand
{
    /// <summary>The longest lifetime --hours takes: a year.</summary>
    private const double MaxHours = 24 * 366;

    public static Command Build()
    {
        var role = new Option<string[]>("--role", "-r") { Description = $"Role(s): {string.Join(", ", Contracts.Platform.Roles.All)}", Required = true, AllowMultipleArgumentsPerToken = true, HelpName = "role" };
        // A mistyped role minted a token that every route then refused with a 403.
        role.AcceptOnlyFromAmong([.. Contracts.Platform.Roles.All]);
        var subject = new Option<string?>("--sub") { Description = "Subject id (default: <role>-<institution>)" };
        var name = new Option<string?>("--name") { Description = "Display name (default: the subject)" };
        var institution = new Option<string?>("--institution", "-i") { Description = "Institution slug the token belongs to (default: charite)" };
        var hours = new Option<double>("--hours") { Description = "Lifetime in hours", DefaultValueFactory = _ => 8 };
        var key = new Option<string?>("--key") { Description = "Signing key PEM (env DTH_SIGNING_KEY; default: the standalone silo's key in its data folder, DTH_DATA_DIR as for ops/run.sh, else the local default)" };
        var command = new Command("token", "Print a bearer token for the standalone platform") { role, subject, name, institution, hours, key };
        command.SetAction(parse =>
        {
            var roles = parse.GetValue(role) ?? [];
            var inst = parse.GetValue(institution) ?? "charite";
            var sub = parse.GetValue(subject) ?? $"{roles.FirstOrDefault() ?? "user"}-{inst}";
            var keyPath = parse.GetValue(key) ?? Environment.GetEnvironmentVariable("DTH_SIGNING_KEY") ?? StandaloneTokens.DefaultKeyPath();
            // A token of no lifetime is expired once minted; a negative or endless one is refused by the token handler.
            if (parse.GetValue(hours) is not (> 0 and <= MaxHours) and var h)
            {
                CliErrors.Print($"--hours is the token's lifetime, more than 0 and at most {MaxHours} (a year), not {h}.");
                return CliErrors.Usage;
            }
            try
            {
                var token = StandaloneTokens.Mint(keyPath, new StandaloneTokens.Request(sub, parse.GetValue(name) ?? sub, inst, roles, TimeSpan.FromHours(parse.GetValue(hours))));
                Console.Out.WriteLine(token);
                return 0;
            }
            catch (FileNotFoundException ex)
            {
                // The key is a file on this machine: a usage mistake, not an answer of the platform (2).
                CliErrors.Print(ex.Message);
                return CliErrors.Usage;
            }
        });
        return command;
    }
}
