using DthGrains.Contracts.Platform;
using DthGrains.Grains.Provenance;
using DthGrains.Silo.Platform;
using Microsoft.AspNetCore.Authorization;

namespace DthGrains.Silo.Provenance;

/// <summary>The ledger in the host: grain-side services, the audit policy, and the authorization hook that records denials.</summary>
public static class LedgerSetup
{
    /// <summary>Auditors and platform admins: who may read the ledger, verify it and take checkpoints.</summary>
    public const string Readers = "ledger-readers";

    public static IServiceCollection AddDthLedger(this IServiceCollection services, DthOptions options)
    {
        services.AddOptions<LedgerOptions>().BindConfiguration(LedgerOptions.Section);
        services.AddDthLedgerCore(o =>
        {
            if (string.IsNullOrWhiteSpace(o.KeyPath)) o.KeyPath = DefaultKeyPath(options.ResolveDataDirectory());
        });
        services.AddAuthorizationBuilder().AddPolicy(Readers, p => p.RequireRole(Roles.Auditor, Roles.PlatformAdmin));
        services.AddSingleton<DenialRecorder>();
        // Replaces the framework's default handler (registered with TryAdd): every 403 decided by a policy is recorded.
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuditingAuthorizationResultHandler>();
        return services;
    }

    /// <summary>The ledger key inside a data folder, next to the standalone token key.</summary>
    public static string DefaultKeyPath(string dataDirectory) => Path.Combine(dataDirectory, "ledger", "ledger-key.pem");
}
