using System.Net;
using DthGrains.Silo.Catalogue;
using DthGrains.Silo.Ecosystem;
using DthGrains.Silo.Federation;
using DthGrains.Silo.Governance;
using DthGrains.Silo.Identity;
using DthGrains.Silo.Provenance;
using DthGrains.Silo.Runs;
using DthGrains.Silo.Platform.Postgres;
using DthGrains.Silo.Seed;
using DthGrains.Silo.Twins;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Orleans.Configuration;
using Scalar.AspNetCore;

namespace DthGrains.Silo.Platform;

/// <summary>
/// The DthGrains host: one process that is an Orleans silo and serves the HTTP API. When no connection
/// string is configured it starts the embedded PostgreSQL first and stops it after the host has stopped, unless it
/// adopted a server already running on its data folder (<see cref="EmbeddedPostgres.ReleaseAsync"/>).
/// </summary>
public sealed class DthHost : IAsyncDisposable
{
    private DthHost(WebApplication app, EmbeddedPostgres? postgres, DthOptions options, string connectionString)
    {
        App = app;
        Postgres = postgres;
        Options = options;
        ConnectionString = connectionString;
    }

    /// <summary>Logs what happens before the host's own logging exists (the embedded PostgreSQL outlives no host).</summary>
    private static readonly ILoggerFactory BootstrapLoggers = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));

    public WebApplication App { get; }

    public EmbeddedPostgres? Postgres { get; }

    public DthOptions Options { get; }

    public string ConnectionString { get; }

    /// <param name="args">command-line arguments (the last configuration layer)</param>
    /// <param name="configure">extra configuration for tests, applied after every layer</param>
    /// <param name="services">service overrides for tests (a manual clock), applied after every registration</param>
    public static async Task<DthHost> CreateAsync(string[] args, Action<ConfigurationManager>? configure = null, CancellationToken ct = default,
        Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        ConfigurationLayers.Apply(builder.Configuration, args);
        configure?.Invoke(builder.Configuration);
        var options = builder.Configuration.GetSection(DthOptions.Section).Get<DthOptions>() ?? new DthOptions();
        Validate(options);
        // Before the database: a descriptor that does not check out stops the start at once, with its problems. Before
        // the descriptors: what the codes must not see, which decides how they are confined.
        var hidden = ExternalModelsSetup.HideSecrets(builder.Configuration, options);
        EmbeddedPostgres? postgres = null;
        try
        {
            var externalModels = ExternalModelsSetup.Register(builder.Configuration);
            var connectionString = builder.Configuration.GetConnectionString("Federation");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                postgres = await EmbeddedPostgres.StartAsync(
                    new EmbeddedPostgresOptions { DataDirectory = Path.Combine(options.ResolveDataDirectory(), "postgres") },
                    BootstrapLoggers.CreateLogger<EmbeddedPostgres>(), ct);
                await postgres.EnsureDatabaseAsync(options.DatabaseName, ct);
                connectionString = postgres.ConnectionStringFor(options.DatabaseName);
            }
            await OrleansSchema.ApplyAsync(connectionString, ct);
            ConfigureServices(builder, options, connectionString, externalModels);
            services?.Invoke(builder.Services);
            var app = builder.Build();
            ConfigurePipeline(app);
            app.LogExternalModels();
            app.Lifetime.ApplicationStopped.Register(hidden.Dispose);
            if (postgres is not null) AnnounceForJoining(app, options, connectionString);
            return new DthHost(app, postgres, options, connectionString);
        }
        catch
        {
            hidden.Dispose();
            if (postgres is not null) await postgres.ReleaseAsync();
            throw;
        }
    }

    /// <summary>A standalone platform tells ops/join.sh how to join its cluster (<see cref="JoinFile"/>), from its start to its stop.</summary>
    private static void AnnounceForJoining(WebApplication app, DthOptions options, string connectionString)
    {
        var data = options.ResolveDataDirectory();
        var key = options.ResolveSigningKeyPath();
        var logger = app.Services.GetRequiredService<ILogger<DthHost>>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "";
            try
            {
                JoinFile.Write(data, JoinFile.Render(JoinFile.ValuesOf(options, connectionString, key, url)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(ex, "{File} was not written: ops/join.sh cannot join this platform", JoinFile.PathIn(data));
            }
        });
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            try
            {
                JoinFile.Delete(data);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(ex, "{File} was not removed", JoinFile.PathIn(data));
            }
        });
    }

    private static void Validate(DthOptions options)
    {
        if (!Contracts.Platform.Ids.IsValid(options.Institution))
            throw new InvalidOperationException($"Dth:Institution must name this silo's institution ({Contracts.Platform.Ids.Rule}); set it in silo-config or DTH__INSTITUTION.");
        if (!Domain.Federation.SiloRoles.IsValid(options.Role))
            throw new InvalidOperationException("Dth:Role must be 'data' or 'hpc'.");
        // Institutions travel joined by commas in the silo's metadata: "inria,hug" in one entry became two institutions
        // to placement and one unknown to the payload databases (every such read a 500).
        for (var i = 0; i < options.AlsoHosts.Length; i++)
            if (!Contracts.Platform.Ids.IsValid(options.AlsoHosts[i]))
                throw new InvalidOperationException($"Dth:AlsoHosts:{i} ('{options.AlsoHosts[i]}') must name one institution ({Contracts.Platform.Ids.Rule}); list each in an entry of its own.");
        if (!IPAddress.TryParse(options.AdvertisedAddress, out _))
            throw new InvalidOperationException($"Dth:AdvertisedAddress ('{options.AdvertisedAddress}') must be an IP address that the other silos reach this one at, such as 10.0.0.5 (not a host name).");
        var hosted = new[] { options.Institution }.Concat(options.AlsoHosts).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, value) in options.PayloadDatabases)
        {
            if (!hosted.Contains(name.ToLowerInvariant()))
                throw new InvalidOperationException($"Dth:PayloadDatabases:{name} names an institution this silo does not host ({string.Join(", ", hosted.Order())}): a payload database is configured per hosted institution.");
            if (string.IsNullOrWhiteSpace(value))
                throw new InvalidOperationException($"Dth:PayloadDatabases:{name} is empty: give the connection string of {name.ToLowerInvariant()}'s payload database.");
        }
        if (!options.DerivePayloadDatabases)
            foreach (var institution in hosted.Order())
                if (!options.PayloadDatabases.Keys.Any(k => k.ToLowerInvariant() == institution))
                    throw new InvalidOperationException($"Dth:PayloadDatabases:{institution} is not set: {institution}'s clinical payloads live in its own database, "
                        + $"never on the federation's server. Set it to the connection string of {institution}'s database (DTH__PAYLOADDATABASES__{institution.ToUpperInvariant()}), "
                        + "or set Dth:DerivePayloadDatabases=true for a trial on one machine, where the federation's server plays every institution's.");
        if (string.IsNullOrWhiteSpace(options.Identity.Authority) && !options.Identity.CreateSigningKey)
        {
            var key = options.ResolveSigningKeyPath();
            if (!File.Exists(key))
                throw new InvalidOperationException($"Dth:Identity:SigningKeyPath: there is no key at {key}. This silo validates the platform's tokens with the platform's key: "
                    + "name the platform's key file (ops/run.sh's join.env gives it as DTH_SIGNING_KEY), or set Dth:Identity:Authority to the federation's OIDC issuer. "
                    + "Dth:Identity:CreateSigningKey=true creates a new key instead (a platform's first start).");
        }
    }

    private static void ConfigureServices(WebApplicationBuilder builder, DthOptions options, string connectionString, string[] externalModels)
    {
        var services = builder.Services;
        services.AddSingleton(options);
        // Before the default writer: on FHIR routes every problem is an OperationOutcome.
        services.AddSingleton<Microsoft.AspNetCore.Http.IProblemDetailsWriter, FhirProblemWriter>();
        services.AddProblemDetails();
        services.AddExceptionHandler<OutageExceptionHandler>();
        services.ConfigureHttpJsonOptions(o => JsonDefaults.Configure(o.SerializerOptions));
        services.AddDthOpenApi();
        services.AddDthIdentity(options);
        services.AddDthRateLimits(options.RateLimit);
        services.AddDthLedger(options);
        services.AddDthHealthChecks(connectionString);
        services.AddDthTelemetry(builder.Configuration, options.Institution);
        services.AddDthRunStreams(builder.Configuration);
        // API bodies are small; routes that take uploads raise their own limit.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024);
        builder.Host.ConfigureHostOptions(h => h.ShutdownTimeout = TimeSpan.FromSeconds(20));

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(c =>
            {
                c.ClusterId = options.ClusterId;
                c.ServiceId = options.ServiceId;
            });
            silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
            silo.AddDthSilo(connectionString, options, externalModels);
        });
        if (options.Seed) services.AddHostedService<DemoSeed>();
    }

    private static void ConfigurePipeline(WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.RefuseNulInUrls();
        app.UseAuthentication();
        app.UseRateLimiter();   // after authentication: the bucket is the token's, not the address's
        app.UseAuthorization();
        app.RefuseUnevaluatedIfMatch();
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/reference", o => o.WithTitle("DthGrains API").AddPreferredSecuritySchemes([OpenApiSetup.BearerScheme])).AllowAnonymous();
        app.MapGet("/", () => Results.Redirect("/reference")).ExcludeFromDescription().AllowAnonymous();
        app.MapDthHealth();
        app.MapDthMetrics();
        app.MapEcosystemEndpoints();
        app.MapAuditEndpoints();
        app.MapLineageEndpoints();
        app.MapCatalogueEndpoints();
        app.MapGovernanceEndpoints();
        app.MapTwinEndpoints();
        app.MapRunEndpoints();
        app.MapClusterEndpoints();
    }

    public Task StartAsync(CancellationToken ct = default) => App.StartAsync(ct);

    public async Task StopAsync(CancellationToken ct = default)
    {
        await App.StopAsync(ct);
        if (Postgres is not null) await Postgres.ReleaseAsync();
    }

    /// <summary>Runs until Ctrl-C or SIGTERM, then stops the silo and, after it, the embedded PostgreSQL it started.</summary>
    public async Task RunAsync()
    {
        try
        {
            await App.RunAsync();
        }
        finally
        {
            if (Postgres is not null) await Postgres.ReleaseAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        if (Postgres is not null) await Postgres.ReleaseAsync();
    }
}
