using System.Text.Json.Serialization;

namespace DthGrains.Contracts.Governance;

/// <summary>
/// A data access application after EHDS Art. 67: who, for what purpose and benefit, which data, anonymised or
/// pseudonymised (with justification), safeguards, linking, processing period, tools, ethics approval.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.governance.application")]
public sealed record AccessApplication(
    [property: Id(0)] string Title,
    // Required on the wire: left out, an enum binds as its first value, a purpose nobody stated.
    [property: Id(1), JsonRequired] EhdsPurpose Purpose,
    [property: Id(2)] string IntendedUse,
    [property: Id(3)] string ExpectedBenefit,
    [property: Id(4)] string[] Datasets,
    [property: Id(5)] PermittedAction[] Actions,
    [property: Id(6)] bool Pseudonymised,
    [property: Id(7)] string? PseudonymisationJustification,
    [property: Id(8)] string Safeguards,
    [property: Id(9)] int ProcessingMonths,
    [property: Id(10)] string[] Persons,
    [property: Id(11)] string? ProfessionalFunction = null,
    [property: Id(12)] string[]? Variables = null,
    [property: Id(13)] string? DataLinking = null,
    [property: Id(14)] string? Tools = null,
    [property: Id(15)] string? EthicsApprovalReference = null);

/// <summary>A steward's decision for their institution's slot: approve (with conditions) or refuse, always with a reason.</summary>
[GenerateSerializer, Immutable, Alias("dth.governance.decision")]
public sealed record StewardDecision(
    // Required on the wire: left out, it would bind as false, a refusal nobody made (and a refusal ends the application).
    [property: Id(0), JsonRequired] bool Approve,
    [property: Id(1)] string Reason,
    [property: Id(2)] string[]? Conditions = null);

[GenerateSerializer, Immutable, Alias("dth.governance.slot")]
public sealed record ReviewSlot(
    [property: Id(0)] string Institution,
    [property: Id(1)] string[] Datasets,
    [property: Id(2)] SlotDecision Decision,
    [property: Id(3)] string? Reason,
    [property: Id(4)] string[] Conditions,
    [property: Id(5)] string? DecidedBy,
    [property: Id(6)] DateTimeOffset? DecidedAt);

/// <summary>A permit: principals, datasets and their versions, purpose, actions, conditions, validity.</summary>
[GenerateSerializer, Immutable, Alias("dth.governance.grant")]
public sealed record AccessGrant(
    [property: Id(0)] string Id,
    [property: Id(1)] string[] Principals,
    [property: Id(2)] IReadOnlyDictionary<string, string> DatasetVersions,
    [property: Id(3)] EhdsPurpose Purpose,
    [property: Id(4)] PermittedAction[] Actions,
    [property: Id(5)] string[] Conditions,
    [property: Id(6)] DateTimeOffset ValidFrom,
    [property: Id(7)] DateTimeOffset ValidUntil,
    [property: Id(8)] GrantStatus Status,
    [property: Id(9)] string? StatusReason);

[GenerateSerializer, Immutable, Alias("dth.governance.request")]
public sealed record AccessRequestView(
    [property: Id(0)] string Id,
    [property: Id(1)] string Applicant,
    [property: Id(2)] string? ApplicantInstitution,
    [property: Id(3)] ApplicationStatus Status,
    [property: Id(4)] string? StatusReason,
    [property: Id(5)] AccessApplication Application,
    [property: Id(6)] IReadOnlyList<ReviewSlot> Reviews,
    [property: Id(7)] AccessGrant? Grant,
    [property: Id(8)] long Version,
    [property: Id(9)] DateTimeOffset SubmittedAt,
    [property: Id(10)] DateTimeOffset UpdatedAt);
