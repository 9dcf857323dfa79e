using DthGrains.Grains.Federation;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Runs;
using DthGrains.Silo.Platform.Postgres;
using JasperFx;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace DthGrains.Silo.Platform;

/// <summary>
/// What makes an Orleans silo a DthGrains silo, shared by the real host and the in-process test clusters:
/// ADO.NET clustering and reminders on PostgreSQL, the silo's federation metadata, the event store and
/// federation presence.
/// </summary>
public static class SiloSetup
{
    /// <summary>Silo metadata keys, read by placement filters (data residency, HPC first).</summary>
    public const string InstitutionKey = "institution";
    public const string RoleKey = "role";

    /// <param name="externalModels">the external models whose code this silo has (<see cref="Runs.ExternalModelsSetup"/>): its runs' shards come here.</param>
    public static ISiloBuilder AddDthSilo(this ISiloBuilder silo, string connectionString, DthOptions options, string[]? externalModels = null)
    {
        OrleansPostgresClustering.Configure(silo, connectionString, options.MembershipTimings());
        return silo.AddDthServices(connectionString, options.Institution, options.Role, options.ApplySchemaOnStart, options.AlsoHosts, options.PayloadDatabases,
            externalModels, options.DerivePayloadDatabases);
    }

    /// <summary>Everything but clustering: for test clusters whose clustering the test harness configures.</summary>
    /// <param name="derivePayloadDatabases">an institution without a payload database of its own gets one derived on the federation's server (one machine plays every institution's).</param>
    public static ISiloBuilder AddDthServices(this ISiloBuilder silo, string connectionString, string institution, string role, bool applySchema = true,
        string[]? alsoHosts = null, IReadOnlyDictionary<string, string>? payloadDatabases = null, string[]? externalModels = null, bool derivePayloadDatabases = true)
    {
        var institutions = new[] { institution }.Concat(alsoHosts ?? []).Distinct().ToArray();
        silo.UseSiloMetadata(new Dictionary<string, string>
        {
            [InstitutionKey] = institution,
            [RoleKey] = role,
            [InstitutionResidencyDirector.InstitutionsKey] = string.Join(',', institutions),
            [ExternalModelHostsDirector.MetadataKey] = string.Join(',', externalModels ?? []),
        });
        silo.AddActivityPropagation();
        silo.Services.AddDthEventStore(connectionString, applySchema ? AutoCreate.CreateOrUpdate : AutoCreate.None);
        silo.Services.AddDthFederation(f =>
        {
            f.Institution = institution;
            f.Role = role;
            f.AlsoHosts = alsoHosts ?? [];
        });
        silo.Services.AddDthCatalogue(p =>
        {
            // Keys as institutions are spelt: an environment variable (DTH__PAYLOADDATABASES__INRIA) gives "INRIA", and
            // the entry was never found, so inria's payloads went to a database derived on the federation's server.
            p.ConnectionStrings = payloadDatabases?.ToDictionary(e => e.Key.ToLowerInvariant(), e => e.Value) ?? [];
            p.DeriveFrom = derivePayloadDatabases ? connectionString : null;
        });
        silo.Services.AddDthGovernance();
        silo.Services.AddDthTwins();
        silo.Services.AddDthRuns();
        return silo;
    }
}
