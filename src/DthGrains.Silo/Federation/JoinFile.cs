using System.Text;
using DthGrains.Silo.Platform;

namespace DthGrains.Silo.Federation;

/// <summary>
/// <c>join.env</c> in a standalone platform's data folder: what one more silo on this machine needs to join its cluster
/// (the embedded database, cluster and service ids, the token signing key and the platform's URL). ops/join.sh sources it.
/// Written once the host has started and removed when it stops, so a file that is there names a platform that runs
/// (after a crash it stays, and ops/join.sh finds the URL not answering and says so). Readable by its owner only: the
/// connection string holds the embedded server's superuser password.
/// </summary>
public static class JoinFile
{
    public const string Name = "join.env";

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, Name);

    /// <summary>Shell assignments, each value single-quoted (a quote inside is closed, escaped and reopened).</summary>
    public static string Render(IEnumerable<KeyValuePair<string, string>> values)
    {
        var text = new StringBuilder("# Written by the standalone DthGrains host for ops/join.sh; removed when it stops.\n");
        foreach (var (key, value) in values) text.Append(key).Append("='").Append(value.Replace("'", "'\\''", StringComparison.Ordinal)).Append("'\n");
        return text.ToString();
    }

    /// <summary>
    /// The values: besides the cluster, how the platform validates tokens (a joined silo must accept the same ones: its
    /// OIDC authority when it has one, otherwise its signing key; issuer and audience either way) and its membership
    /// timings (silos of one cluster must judge each other alike).
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> ValuesOf(DthOptions options, string connectionString, string signingKeyPath, string url) =>
    [
        new("DTH_CLUSTER_ID", options.ClusterId),
        new("DTH_SERVICE_ID", options.ServiceId),
        new("DTH_CONNECTION_STRING", connectionString),
        new("DTH_SIGNING_KEY", signingKeyPath),
        new("DTH_IDENTITY_AUTHORITY", options.Identity.Authority ?? ""),
        new("DTH_IDENTITY_ISSUER", options.Identity.Issuer),
        new("DTH_IDENTITY_AUDIENCE", options.Identity.Audience),
        new("DTH_MEMBERSHIP", options.Membership),
        new("DTH_URL", url),
    ];

    public static void Write(string dataDirectory, string text)
    {
        var path = PathIn(dataDirectory);
        var temporary = path + ".tmp";
        File.Delete(temporary); // left by a crash
        Platform.PrivateFiles.CreateWithText(temporary, text);
        // Whole or not at all: ops/join.sh may read it at any moment.
        File.Move(temporary, path, overwrite: true);
    }

    public static void Delete(string dataDirectory) => File.Delete(PathIn(dataDirectory));
}
