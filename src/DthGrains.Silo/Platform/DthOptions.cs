namespace DthGrains.Silo.Platform;

/// <summary>The <c>Dth</c> configuration section: who this silo is and where its state lives.</summary>
public sealed class DthOptions
{
    public const string Section = "Dth";

    /// <summary><c>standalone</c> (embedded PostgreSQL, demo seed) or <c>institution</c> (a partner silo).</summary>
    public string Profile { get; set; } = "standalone";

    /// <summary>Slug of the institution hosting this silo; its datasets may live only on its silos.</summary>
    public string Institution { get; set; } = "";

    /// <summary><c>data</c> or <c>hpc</c>.</summary>
    public string Role { get; set; } = "data";

    public string ClusterId { get; set; } = "dth-standalone";

    public string ServiceId { get; set; } = "dthgrains";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos reach this one at (loopback by default).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Folder for the embedded PostgreSQL cluster and the standalone signing key. Empty: the user's local data folder.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Database created on the embedded server when no connection string is configured.</summary>
    public string DatabaseName { get; set; } = "dthgrains";

    /// <summary>Seed the demo federation on the first start (standalone only).</summary>
    public bool Seed { get; set; }

    /// <summary>Apply Marten's schema changes at start (development); production applies them in a release step.</summary>
    public bool ApplySchemaOnStart { get; set; } = true;

    public IdentityOptions Identity { get; set; } = new();

    /// <summary>Per-client request limits (RELIABILITY row 19).</summary>
    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>Further institutions whose datasets this silo may hold: the standalone demo plays several institutions in one silo.</summary>
    public string[] AlsoHosts { get; set; } = [];

    /// <summary>Connection strings of the hosted institutions' own payload databases, one per hosted institution.</summary>
    public Dictionary<string, string> PayloadDatabases { get; set; } = [];

    /// <summary>
    /// Whether a hosted institution without a <see cref="PayloadDatabases"/> entry gets a payload database derived on the
    /// federation's server (<c>{database}_payload_{institution}</c>): the standalone platform and trials on one machine,
    /// where one server plays every institution's. Off by default: a partner's silo that forgot its entry used to keep
    /// its patients' data on the federation's server, outside the institution, without a word.
    /// </summary>
    public bool DerivePayloadDatabases { get; set; }

    /// <summary><c>local</c> (one machine or site: fast failure detection) or <c>federated</c> (wide-area links).</summary>
    public string Membership { get; set; } = "local";

    public Postgres.MembershipTimings MembershipTimings() => Membership switch
    {
        "local" => Postgres.MembershipTimings.Local,
        "federated" => Postgres.MembershipTimings.Federated,
        _ => throw new InvalidOperationException("Dth:Membership must be 'local' or 'federated'."),
    };

    public string ResolveDataDirectory()
    {
        return string.IsNullOrWhiteSpace(DataDirectory) ? Contracts.Platform.DataFolders.Default() : Path.GetFullPath(DataDirectory);
    }

    /// <summary>The standalone signing key's file: <see cref="IdentityOptions.SigningKeyPath"/>, or its default in the data folder.</summary>
    public string ResolveSigningKeyPath() =>
        string.IsNullOrWhiteSpace(Identity.SigningKeyPath) ? Silo.Identity.StandaloneSigningKey.DefaultPath(ResolveDataDirectory()) : Identity.SigningKeyPath;
}

/// <summary>Token validation: an OIDC authority in production, a local signing key in standalone.</summary>
public sealed class IdentityOptions
{
    /// <summary>OIDC authority (issuer URL). When set, keys come from its discovery document.</summary>
    public string? Authority { get; set; }

    public string Issuer { get; set; } = "dthgrains-standalone";

    public string Audience { get; set; } = "dthgrains";

    /// <summary>PEM file of the standalone ES256 key. Empty: <c>{DataDirectory}/identity/signing-key.pem</c>.</summary>
    public string? SigningKeyPath { get; set; }

    /// <summary>
    /// Create the signing key when its file is missing: the standalone platform, on its first start. Off by default: a
    /// partner's silo validates the platform's tokens with the platform's key, and a mistyped path used to give it a new
    /// key of its own, which refused every token the platform issued.
    /// </summary>
    public bool CreateSigningKey { get; set; }
}
