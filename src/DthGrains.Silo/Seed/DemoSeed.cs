using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Silo.Ecosystem;

namespace DthGrains.Silo.Seed;

/// <summary>
/// Seeds the demo federation once, on the first start of a standalone platform. Runs after the silo is up
/// (hosted services start in order); a second start finds the first organisation and does nothing. Each step is tried
/// again after a transient failure (<see cref="SeedStep"/>).
/// </summary>
public sealed class DemoSeed(IGrainFactory grains, ILogger<DemoSeed> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var first = await grains.GetGrain<IOrganisationGrain>(DemoFederation.Organisations[0].Id).GetAsync();
        if (first.IsSuccess) return;

        var context = CommandContext.ForSystem(correlationId: "demo-seed");
        foreach (var (id, details) in DemoFederation.Organisations) await Step(() => grains.GetGrain<IOrganisationGrain>(id).RegisterAsync(details, context), id);
        foreach (var (id, details) in DemoFederation.People) await Step(() => grains.GetGrain<IPersonGrain>(id).RegisterAsync(details, context), id);
        var (initiativeId, initiative) = DemoFederation.Initiative;
        await Step(() => grains.GetGrain<IInitiativeGrain>(initiativeId).RegisterAsync(initiative, context), initiativeId);
        foreach (var (from, kind, to) in DemoFederation.Relations)
        {
            NodeRef.TryParse(from, out var source);
            NodeRef.TryParse(to, out var target);
            await Step(() => NodeGrains.For(grains, source).RelateAsync(kind, target, context), $"{from} {kind} {to}");
        }
        logger.LogInformation("Seeded the demo federation: {Organisations} organisations, {People} people, one initiative",
            DemoFederation.Organisations.Length, DemoFederation.People.Length);
        await SeedCatalogueAsync();
    }

    private async Task SeedCatalogueAsync()
    {
        // Models and methods come from TUM, whose modellers maintain the engine's library in the demo.
        var tum = CommandContext.ForSystem("tum", "demo-seed");
        foreach (var (id, kind, metadata) in DemoCatalogue.ModelsAndMethods)
        {
            var resource = grains.GetGrain<IResourceGrain>(id);
            await Step(() => resource.DraftAsync(kind, metadata, tum), id);
            await Step(() => resource.ReleaseAsync(new VersionRelease("1.0.0", "First release with the engine.", DemoCatalogue.ChecksumOf($"{id}@1.0.0")), tum), id);
            await Step(() => resource.PublishAsync(tum), id);
        }
        await Step(() => grains.GetGrain<IResourceGrain>("hovorka-2004").RecordCredibilityAsync("1.0.0", DemoCatalogue.HovorkaCredibility, tum), "hovorka credibility");

        // Three days per patient: twins calibrate on two and validate on the held-out third.
        const int patients = 5, days = 3;
        foreach (var (id, institution, seed, title) in DemoCatalogue.Datasets)
        {
            var owner = CommandContext.ForSystem(institution, "demo-seed");
            var resource = grains.GetGrain<IResourceGrain>(id);
            await Step(() => resource.DraftAsync(ResourceKind.Dataset, DemoCatalogue.DatasetMetadata(title, institution, patients), owner), id);
            await Step(() => grains.GetGrain<IDatasetGrain>(DatasetKeys.For(institution, id))
                .UploadAsync(DemoCatalogue.SyntheticBundle(seed, patients, days), "1.0.0", $"{patients} synthetic patients, {days} day(s) each.", owner), id);
            await Step(() => resource.PublishAsync(owner), id);
        }
        logger.LogInformation("Seeded the demo catalogue: {Resources} models and methods, {Datasets} datasets", DemoCatalogue.ModelsAndMethods.Length, DemoCatalogue.Datasets.Length);
    }

    private CancellationToken _stopping;

    private Task Step<T>(Func<Task<Outcome<T>>> step, string what) => SeedStep.RunAsync(step, what, logger, ct: _stopping);
}
