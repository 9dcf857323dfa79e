using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Silo.Ecosystem;

namespace DthGrains.Silo.Seed;

/// <summary>
/// Seeds the demo federation once, on the first start of a standalone platform. Runs after the silo is up
/// (hosted services start in order); a second start finds the first organisation and does nothing.
/// </summary>
public sealed class DemoSeed(IGrainFactory grains, ILogger<DemoSeed> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var first = await grains.GetGrain<IOrganisationGrain>(DemoFederation.Organisations[0].Id).GetAsync();
        if (first.IsSuccess) return;

        var context = CommandContext.ForSystem(correlationId: "demo-seed");
        foreach (var (id, details) in DemoFederation.Organisations) Check(await grains.GetGrain<IOrganisationGrain>(id).RegisterAsync(details, context), id);
        foreach (var (id, details) in DemoFederation.People) Check(await grains.GetGrain<IPersonGrain>(id).RegisterAsync(details, context), id);
        var (initiativeId, initiative) = DemoFederation.Initiative;
        Check(await grains.GetGrain<IInitiativeGrain>(initiativeId).RegisterAsync(initiative, context), initiativeId);
        foreach (var (from, kind, to) in DemoFederation.Relations)
        {
            NodeRef.TryParse(from, out var source);
            NodeRef.TryParse(to, out var target);
            Check(await NodeGrains.For(grains, source).RelateAsync(kind, target, context), $"{from} {kind} {to}");
        }
        logger.LogInformation("Seeded the demo federation: {Organisations} organisations, {People} people, one initiative",
            DemoFederation.Organisations.Length, DemoFederation.People.Length);
    }

    private static void Check<T>(Outcome<T> outcome, string what)
    {
        if (!outcome.IsSuccess) throw new InvalidOperationException($"Demo seed failed at {what}: {outcome.Problem!.Detail}");
    }
}
