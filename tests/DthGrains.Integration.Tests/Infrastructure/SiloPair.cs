using DthGrains.Cli.Identity;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// Two silo host processes of one cluster on a fresh database: a data silo of inst-a and an hpc silo of inst-b, sharing
/// a signing key. For what needs a silo of its own process (freezing one with SIGSTOP). Disposing thaws the hpc silo,
/// stops both and deletes their folder.
/// </summary>
internal sealed class SiloPair : IDisposable
{
    private readonly string _folder;

    private SiloPair(string folder, SiloSettings data, SiloSettings hpc, SiloProcess dataSilo)
    {
        _folder = folder;
        Data = data;
        Hpc = hpc;
        DataSilo = dataSilo;
    }

    public SiloSettings Data { get; }

    public SiloSettings Hpc { get; }

    public SiloProcess DataSilo { get; }

    public SiloProcess HpcSilo { get; private set; } = null!;

    public string SigningKeyPath => Data.SigningKeyPath!;

    /// <param name="name">names the database, folder and cluster</param>
    /// <param name="extra">further settings for both silos (see <see cref="SiloSettings.Extra"/>)</param>
    public static async Task<SiloPair> StartAsync(string name, params string[] extra)
    {
        var folder = TestPostgres.NewTemporaryFolder(name);
        var connectionString = await TestPostgres.CreateDatabaseAsync(name.Replace('-', '_'), orleansSchema: true);
        var clusterId = $"{name}-{Guid.NewGuid():N}";
        var key = Path.Combine(folder, "signing-key.pem");
        var data = SiloSettings.Fresh("inst-a", clusterId, connectionString, Path.Combine(folder, "a"), "data", key) with { Extra = extra };
        var hpc = SiloSettings.Fresh("inst-b", clusterId, connectionString, Path.Combine(folder, "b"), "hpc", key) with { Extra = extra };
        var pair = new SiloPair(folder, data, hpc, SiloProcess.Start(data));
        try
        {
            // The first host creates the signing key; the second reads it.
            await pair.DataSilo.WaitStartedAsync(TimeSpan.FromMinutes(2));
            pair.HpcSilo = SiloProcess.Start(hpc);
            await pair.HpcSilo.WaitStartedAsync(TimeSpan.FromMinutes(2));
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>A client of the data silo's API for <paramref name="who"/>, with a token signed by the pair's key.</summary>
    public HttpClient ClientOfData(StandaloneTokens.Request who, TimeSpan timeout)
    {
        var client = new HttpClient { BaseAddress = new Uri(Data.Url), Timeout = timeout };
        client.DefaultRequestHeaders.Authorization = new("Bearer", StandaloneTokens.Mint(SigningKeyPath, who));
        return client;
    }

    public void Dispose()
    {
        if (HpcSilo is not null)
        {
            try
            {
                HpcSilo.Thaw();
            }
            catch (InvalidOperationException)
            {
                // It has exited already.
            }
            HpcSilo.Dispose();
        }
        DataSilo.Dispose();
        TestPostgres.DeleteFolder(_folder);
    }
}
