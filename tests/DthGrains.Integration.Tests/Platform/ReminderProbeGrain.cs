using System.Collections.Concurrent;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>A test grain that registers a reminder and signals when it fires.</summary>
public interface IReminderProbeGrain : IGrainWithStringKey
{
    /// <summary>Registers (or updates) the reminder <paramref name="name"/>.</summary>
    Task RegisterAsync(string name, TimeSpan dueTime, TimeSpan period);

    /// <summary>Unregisters the reminder <paramref name="name"/>.</summary>
    Task UnregisterAsync(string name);

    /// <summary>The silo the grain is active on.</summary>
    Task<string> GetSiloAsync();
}

public sealed class ReminderProbeGrain(ILocalSiloDetails silo) : Grain, IReminderProbeGrain, IRemindable
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource<string>> Fired = new();

    /// <summary>Completes with the reminder name when the grain <paramref name="key"/> receives a tick.</summary>
    public static Task<string> FiredAsync(string key) =>
        Fired.GetOrAdd(key, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public async Task RegisterAsync(string name, TimeSpan dueTime, TimeSpan period) =>
        await this.RegisterOrUpdateReminder(name, dueTime, period);

    public async Task UnregisterAsync(string name)
    {
        var reminder = await this.GetReminder(name);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task<string> GetSiloAsync() => Task.FromResult(silo.SiloAddress.ToString());

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Fired.GetOrAdd(this.GetPrimaryKeyString(), _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously))
            .TrySetResult(reminderName);
        return Task.CompletedTask;
    }
}
