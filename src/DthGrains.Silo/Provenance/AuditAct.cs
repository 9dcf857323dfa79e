namespace DthGrains.Silo.Provenance;

/// <summary>
/// Endpoint metadata: a POST that is an act of audit and changes no domain state (taking a checkpoint, verifying a
/// checkpoint sent in the body). The only non-GET routes an auditor token may call.
/// </summary>
public sealed class AuditAct
{
    public static readonly AuditAct Instance = new();
}
