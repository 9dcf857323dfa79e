using DthGrains.Contracts.Platform;
using DthGrains.Domain.Governance;
using static DthGrains.Domain.Tests.Governance.Access;

namespace DthGrains.Domain.Tests.Governance;

public sealed class FourEyesTests
{
    [Fact]
    public void An_applicant_who_is_also_a_steward_of_an_owner_cannot_decide_their_own_application()
    {
        var both = new Actor("alice", "alice", "charite", [Roles.Researcher, Roles.Steward]);
        var state = Apply(AccessRequestState.Initial("four-eyes"), GovernanceDecisions.Submit(AccessRequestState.Initial("four-eyes"), Application(), both, OneOwner(), Now));

        GovernanceDecisions.Decide(state, Yes(), both, Now).Problem!.Kind.Should().Be(ProblemKind.Forbidden);
        GovernanceDecisions.Return(state, "no", both, Now).Problem!.Kind.Should().Be(ProblemKind.Forbidden);
        GovernanceDecisions.Decide(state, Yes(), ChariteSteward, Now).Problem.Should().BeNull();
    }

    [Fact]
    public void A_returned_application_answers_that_it_is_returned_not_that_a_slot_was_decided()
    {
        var approvedThenReturned = Apply(Decided(Submitted(), ChariteSteward, Yes()), GovernanceDecisions.Return(Decided(Submitted(), ChariteSteward, Yes()), "Add safeguards.", UmcgSteward, Now));

        GovernanceDecisions.Decide(approvedThenReturned, Yes(), ChariteSteward2, Now).Problem!.Detail.Should().Contain("returned");
    }
}
