using DthGrains.Contracts.Platform;
using DthGrains.Silo.Seed;
using Microsoft.Extensions.Logging.Abstractions;

namespace DthGrains.Integration.Tests.Seed;

/// <summary>The demo seed's steps outlast transient failures at start-up, and fail at once, by name, on a refusal.</summary>
public sealed class SeedStepTests
{
    private static Func<Task<Outcome<int>>> Script(List<int> calls, params Func<Outcome<int>>[] answers) => () =>
    {
        calls.Add(calls.Count);
        return Task.FromResult(answers[Math.Min(calls.Count - 1, answers.Length - 1)]());
    };

    private static Task Run(Func<Task<Outcome<int>>> step, int attempts = 5) =>
        SeedStep.RunAsync(step, "organisation:charite", NullLogger.Instance, attempts, TimeSpan.Zero);

    [Fact]
    public async Task Unavailable_answers_and_exceptions_are_tried_again_until_the_step_succeeds()
    {
        var calls = new List<int>();
        await Run(Script(calls, () => Problem.Unavailable("store restarting"), () => throw new TimeoutException("late"), () => Problem.Unavailable("busy"), () => Outcome<int>.Ok(7, 1)));
        calls.Should().HaveCount(4);
    }

    [Fact]
    public async Task A_conflict_after_a_try_that_failed_on_the_way_means_that_try_was_recorded()
    {
        var calls = new List<int>();
        await Run(Script(calls, () => throw new TimeoutException("the answer was lost"), () => Problem.Conflict("exists", 1)));
        calls.Should().HaveCount(2);
    }

    [Fact]
    public async Task A_refusal_fails_the_seed_at_once_naming_the_step()
    {
        var calls = new List<int>();
        var conflict = () => Run(Script(calls, () => Problem.Conflict("exists", 1)));
        (await conflict.Should().ThrowAsync<SeedFailedException>()).WithMessage("Demo seed failed at organisation:charite: exists");
        calls.Should().HaveCount(1, "a conflict on a first try is not taken for success");

        calls.Clear();
        var invalid = () => Run(Script(calls, () => throw new TimeoutException("lost"), () => Problem.Invalid("name", "bad")));
        await invalid.Should().ThrowAsync<SeedFailedException>();
        calls.Should().HaveCount(2);
    }

    [Fact]
    public async Task A_step_still_failing_after_its_tries_fails_the_seed_with_the_last_reason()
    {
        var calls = new List<int>();
        var act = () => Run(Script(calls, () => Problem.Unavailable("store down")), attempts: 3);
        (await act.Should().ThrowAsync<SeedFailedException>()).WithMessage("*after 3 tries: store down");
        calls.Should().HaveCount(3);
    }
}
