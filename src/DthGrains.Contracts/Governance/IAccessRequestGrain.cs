using DthGrains.Contracts.Platform;
using Orleans.Concurrency;

namespace DthGrains.Contracts.Governance;

/// <summary>One access application, its reviews, decisions and grant. Key: the request id.</summary>
public interface IAccessRequestGrain : IGrainWithStringKey
{
    /// <summary>The request as the viewer may see it: its applicant, stewards of an owner, auditors, platform admins.</summary>
    [ReadOnly]
    Task<Outcome<AccessRequestView>> GetAsync(Actor viewer);

    /// <summary>Submits (or, after a return for changes, resubmits) the application; owners are the requested datasets' publishers.</summary>
    Task<Outcome<AccessRequestView>> SubmitAsync(AccessApplication application, CommandContext context);

    /// <summary>Submits again an application returned for changes; an id never submitted is not found (new ones get the server's id).</summary>
    Task<Outcome<AccessRequestView>> ResubmitAsync(AccessApplication application, CommandContext context);

    /// <summary>Records the decision of the caller's institution's slot; exactly one decision per slot.</summary>
    Task<Outcome<AccessRequestView>> DecideAsync(StewardDecision decision, CommandContext context);

    /// <summary>Returns the application to the applicant for changes, with a reason; all slots start again.</summary>
    Task<Outcome<AccessRequestView>> ReturnAsync(string reason, CommandContext context);

    /// <summary>Revokes the grant (a steward of any owner), with a reason; effective immediately.</summary>
    Task<Outcome<AccessRequestView>> RevokeAsync(string reason, CommandContext context);

    /// <summary>The applicant closes the application or ends the grant early.</summary>
    Task<Outcome<AccessRequestView>> CloseAsync(string reason, CommandContext context);
}
