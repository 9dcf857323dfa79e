using DthGrains.Grains.Federation;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Grains.Platform;

/// <summary>Registers what every DthGrains silo runs besides Marten: federation presence and membership following.</summary>
public static class PlatformServices
{
    public static IServiceCollection AddDthFederation(this IServiceCollection services, Action<FederationOptions> configure)
    {
        services.Configure(configure);
        services.AddSingleton<SiloPresence>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloPresence>());
        services.AddHostedService<SiloMembershipWatcher>();
        return services;
    }
}
