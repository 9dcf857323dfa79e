namespace DthGrains.Contracts.Governance;

/// <summary>The purposes for which health data may be processed for secondary use (EHDS Art. 53).</summary>
public enum EhdsPurpose
{
    PublicInterest,
    PolicyMaking,
    OfficialStatistics,
    Education,
    ScientificResearch,
    ProductDevelopment,
    AiTraining,
    PersonalisedHealthcare,
}

/// <summary>What a grant permits on the datasets it covers.</summary>
public enum PermittedAction
{
    Read,
    Simulate,
    ExportAggregate,
}

/// <summary>Workflow after EHDS and REMS: Submitted → (Returned → Submitted) → UnderReview → Approved | Rejected; Closed by the applicant.</summary>
public enum ApplicationStatus
{
    Submitted,
    Returned,
    UnderReview,
    Approved,
    Rejected,
    Closed,
}

public enum GrantStatus
{
    Active,
    Expired,
    Revoked,
    Closed,
}

/// <summary>One owning institution's slot in the review: pending until its steward approves or refuses.</summary>
public enum SlotDecision
{
    Pending,
    Approved,
    Refused,
}
