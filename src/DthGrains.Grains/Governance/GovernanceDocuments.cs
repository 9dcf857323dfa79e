using DthGrains.Contracts.Governance;

namespace DthGrains.Grains.Governance;

/// <summary>An access request as inboxes and lists see it (inline projection).</summary>
public sealed class AccessRequestDocument
{
    public string Id { get; set; } = "";
    public string Applicant { get; set; } = "";
    public string? ApplicantInstitution { get; set; }
    public string Title { get; set; } = "";
    public EhdsPurpose Purpose { get; set; }
    public string[] Datasets { get; set; } = [];
    public string[] Owners { get; set; } = [];
    /// <summary>Owners whose stewards have not decided yet, while the application is under review.</summary>
    public string[] PendingOwners { get; set; } = [];
    public string[] Persons { get; set; } = [];
    public ApplicationStatus Status { get; set; }
    public string? StatusReason { get; set; }
    public bool Pseudonymised { get; set; }
    public int ProcessingMonths { get; set; }
    public PermittedAction[] Actions { get; set; } = [];
    public string? GrantId { get; set; }
    public long Version { get; set; }
    public DateTimeOffset SubmittedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A grant as the policy decision point reads it (inline projection: a revocation is effective at commit).</summary>
public sealed class GrantDocument
{
    public string Id { get; set; } = "";
    public string RequestId { get; set; } = "";
    public string[] Principals { get; set; } = [];
    public string[] Datasets { get; set; } = [];
    public Dictionary<string, string> DatasetVersions { get; set; } = [];
    public string[] Owners { get; set; } = [];
    public EhdsPurpose Purpose { get; set; }
    public PermittedAction[] Actions { get; set; } = [];
    public string[] Conditions { get; set; } = [];
    public DateTimeOffset ValidFrom { get; set; }
    public DateTimeOffset ValidUntil { get; set; }
    public GrantStatus Status { get; set; }
    public string? StatusReason { get; set; }

    public AccessGrant ToGrant() => new(Id, Principals, DatasetVersions, Purpose, Actions, Conditions, ValidFrom, ValidUntil, Status, StatusReason);
}
