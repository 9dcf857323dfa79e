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
}
