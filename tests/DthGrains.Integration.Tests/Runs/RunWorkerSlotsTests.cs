using DthGrains.Grains.Runs;

// The waits awaited here are started by the tests themselves, kept in lists to see which one a freed slot went to.
#pragma warning disable VSTHRD003

namespace DthGrains.Integration.Tests.Runs;

/// <summary>A silo's worker slots: researchers with shards waiting take turns; a shard cancelled while waiting passes its turn on.</summary>
public sealed class RunWorkerSlotsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_freed_slot_goes_to_the_next_researcher_in_turn_not_to_the_longest_queue()
    {
        var slots = new RunWorkerSlots(1);
        var held = await slots.EnterAsync("ana", CancellationToken.None);
        var order = new List<string>();
        // Ana's big run has three more shards waiting before Ben's one shard arrives.
        var waiting = new[] { ("ana", "a2"), ("ana", "a3"), ("ana", "a4"), ("ben", "b1") }
            .Select(w => (w.Item2, Entered: slots.EnterAsync(w.Item1, CancellationToken.None).AsTask())).ToList();
        waiting.Should().AllSatisfy(w => w.Entered.IsCompleted.Should().BeFalse("the only slot is held"));

        var current = held;
        for (var i = 0; i < waiting.Count; i++)
        {
            current.Dispose();
            var next = await Task.WhenAny(waiting.Where(w => !order.Contains(w.Item1)).Select(w => w.Entered)).WaitAsync(Patience);
            var (name, entered) = waiting.Single(w => w.Entered == next);
            order.Add(name);
            waiting.Where(w => !order.Contains(w.Item1)).Select(w => w.Entered.IsCompleted).Should().NotContain(true, "one slot, one holder");
            current = await entered;
        }
        current.Dispose();

        order.Should().Equal("a2", "b1", "a3", "a4");
        slots.Free.Should().Be(1);
    }

    [Fact]
    public async Task A_shard_cancelled_while_waiting_leaves_the_line_and_its_turn_passes_on()
    {
        var slots = new RunWorkerSlots(1);
        var held = await slots.EnterAsync("ana", CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = slots.EnterAsync("ben", cancel.Token).AsTask();
        var next = slots.EnterAsync("cem", CancellationToken.None).AsTask();

        await cancel.CancelAsync();
        await cancelled.Awaiting(t => t.WaitAsync(Patience)).Should().ThrowAsync<OperationCanceledException>();
        held.Dispose();
        using (await next.WaitAsync(Patience))
            slots.Free.Should().Be(0);
        slots.Free.Should().Be(1, "every slot is back once its holder lets go");
    }

    [Fact]
    public async Task Slots_are_taken_at_once_while_free_and_given_back_once_only()
    {
        var slots = new RunWorkerSlots(2);
        var first = await slots.EnterAsync("ana", CancellationToken.None);
        var second = await slots.EnterAsync("ben", CancellationToken.None);
        var third = slots.EnterAsync("ana", CancellationToken.None).AsTask();
        third.IsCompleted.Should().BeFalse();

        first.Dispose();
        first.Dispose(); // twice: still one slot given back
        var held = await third.WaitAsync(Patience);
        slots.Free.Should().Be(0);
        second.Dispose();
        held.Dispose();
        slots.Free.Should().Be(2);
    }
}
