using System.Security.Cryptography;
using System.Text;

namespace DthGrains.Domain.Governance;

/// <summary>
/// What a steward had before them when deciding: the application version the decision was made against, each
/// requested dataset's catalogue entry as it stood, and the access policy in force. It is recorded inside the
/// decision event, so the ledger's hash covers it and no later change of catalogue or policy can rewrite it.
/// </summary>
public sealed record DecisionContext(long ApplicationVersion, DatasetAsSeen[] Datasets, PolicyInForce Policy);

/// <summary>One requested dataset's catalogue entry at decision time.</summary>
/// <param name="PinnedVersion">the dataset version the application pinned at submission (what a grant covers).</param>
/// <param name="LatestVersion">the newest released version at decision time (it may be newer than the pinned one).</param>
/// <param name="MetadataVersion">the version of the dataset's catalogue stream: which metadata revision the steward saw.</param>
public sealed record DatasetAsSeen(string Id, string? PinnedVersion, string? LatestVersion, long MetadataVersion, string Status,
    string Title, string Publisher, string AccessRights, string Licence, string? LegalBasis);

/// <summary>The rules an access decision applied, by id, version and a digest of their text.</summary>
public sealed record PolicyInForce(string Id, string Version, string[] Rules, string Digest);

/// <summary>The platform's access policy. A change of any rule is a new version (and a new digest).</summary>
public static class GovernancePolicy
{
    public const string Id = "dth-access-policy";
    public const string Version = "1.0.0";

    private static readonly string[] Rules =
    [
        "Each institution that owns a requested dataset decides its own review slot; a decided slot is final until the application is returned.",
        "A steward cannot decide on an application they submitted or are named in (four eyes).",
        "One refusal rejects the application; the last approval issues the grant.",
        "A grant covers the applicant and the named persons, the dataset versions pinned at submission, the stated EHDS purpose and actions, and the union of all slots' conditions.",
        "A grant is valid from approval for the processing period (at most 60 months); it expires by time alone and can be revoked by any owner's steward.",
        "Members of the owning institution use its data without a grant; everyone else needs a live grant covering principal, dataset, action and purpose.",
    ];

    /// <summary>The policy in force (built once; its digest is SHA-256 over the rules joined by line feeds).</summary>
    public static PolicyInForce Current { get; } = new(Id, Version, Rules,
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', Rules)))));
}
