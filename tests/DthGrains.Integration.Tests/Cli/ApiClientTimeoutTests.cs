// The request's task and the stub's signal are the test's own, started here: awaiting them is what the test is about.
#pragma warning disable VSTHRD003
using DthGrains.Cli.Platform;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Cli;

/// <summary>
/// A platform that never answers: HttpClient's timeout surfaces as a cancellation, which System.CommandLine took for
/// Ctrl-C and ended the command without a word. The CLI's client tells the two apart.
/// </summary>
public sealed class ApiClientTimeoutTests : IAsyncLifetime
{
    private readonly TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private StubPlatform _platform = null!;

    public async Task InitializeAsync() => _platform = await StubPlatform.StartAsync(async http =>
    {
        _received.TrySetResult();
        // Never answers; ends when the client gives up on the request.
        await new TaskCompletionSource().Task.WaitAsync(http.RequestAborted);
    });

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task A_request_the_platform_does_not_answer_in_time_is_a_timeout_naming_the_bound_not_a_cancellation()
    {
        using var client = new ApiClient(new HttpClient { BaseAddress = _platform.Address, Timeout = TimeSpan.FromSeconds(1) });

        var timeout = (await client.Invoking(c => c.GetAsync("api/runs/r1")).Should().ThrowAsync<PlatformTimeoutException>()).Which;

        var (code, message) = CliErrors.Explain(timeout);
        code.Should().Be(CliErrors.Unreachable);
        message.Should().StartWith("the platform did not answer within 1 s");
    }

    [Fact]
    public async Task A_request_stopped_by_ctrl_c_stays_a_cancellation_that_prints_nothing()
    {
        using var client = new ApiClient(new HttpClient { BaseAddress = _platform.Address, Timeout = Timeout.InfiniteTimeSpan });
        using var ctrlC = new CancellationTokenSource();
        var request = client.GetAsync("api/runs/r1", ctrlC.Token);
        await _received.Task;
        await ctrlC.CancelAsync();

        var cancelled = (await FluentActions.Awaiting(() => request).Should().ThrowAsync<OperationCanceledException>()).Which;

        cancelled.Should().NotBeOfType<PlatformTimeoutException>();
        CliErrors.Explain(cancelled).Should().Be((CliErrors.Interrupted, (string?)null));
    }
}
