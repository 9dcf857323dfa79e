namespace DthGrains.Grains.Provenance;

/// <summary>The <c>Dth:Ledger</c> configuration section.</summary>
public sealed class LedgerOptions
{
    public const string Section = "Dth:Ledger";

    /// <summary>
    /// PEM file of the ledger's ECDSA P-256 key, created on first start when absent. Every silo of one federation
    /// must be given the same file: checkpoints are verified against one key.
    /// </summary>
    public string KeyPath { get; set; } = "";

    /// <summary>How often the reminder takes a checkpoint (at least one minute; Orleans reminders are coarse).</summary>
    public TimeSpan CheckpointPeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Register the periodic checkpoint reminder when a silo becomes active.</summary>
    public bool ScheduleCheckpoints { get; set; } = true;

    /// <summary>
    /// How often each silo reads what is new in the ledger into the lineage store, between queries (zero: only when
    /// asked). A query always reads what is new first; this keeps that little when no one has asked for a while.
    /// </summary>
    public TimeSpan LineageCatchUp { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Ledger events a lineage query reads into the store at most before it answers. A store further behind (the first
    /// reading of a long ledger after an upgrade or a rebuild) answers 503 with how far the reading has come, while the
    /// silos read on in the background, instead of holding the caller for minutes.
    /// </summary>
    public int LineageQueryBudget { get; set; } = LineageService.DefaultQueryBudget;
}
