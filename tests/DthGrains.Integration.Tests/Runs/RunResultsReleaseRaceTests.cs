using System.Net;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Runs.RunTestData;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>A run's rows released while its results are being downloaded: the download breaks, it never just ends early.</summary>
[Collection(HostCollection.Name)]
public sealed class RunResultsReleaseRaceTests(HostFixture fixture)
{
    private readonly TestHost _host = fixture.Host;

    [Fact]
    public async Task Rows_released_during_a_csv_download_break_the_transfer_and_the_next_request_gets_410()
    {
        var carla = _host.ClientAs("researcher", "tum", subject: $"carla-{Guid.NewGuid():N}"[..16]);
        // Some 14 MB of CSV: far more than the socket buffers between server and client (under 2 MB on loopback), so the
        // server is still reading shards when the rows go.
        var id = await SubmitAsync(carla, Cohort(size: 60_000, shardSize: 500));
        await WaitForStatusAsync(carla, id, "completed", seconds: 300);
        using var response = await carla.GetAsync($"/api/runs/{id}/results?format=csv", HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long read = await body.ReadAsync(buffer);
        read.Should().BeGreaterThan(0);

        (await carla.PostAsync($"/api/runs/{id}/rows/release", Body(new { reason = "kept the bands" }))).StatusCode.Should().Be(HttpStatusCode.OK);
        var drain = async () =>
        {
            int n;
            while ((n = await body.ReadAsync(buffer)) > 0) read += n;
        };

        await drain.Should().ThrowAsync<IOException>("a table cut short must not look whole to the client");
        read.Should().BeLessThan(14_000_000);
        (await carla.GetAsync($"/api/runs/{id}/results?format=csv")).StatusCode.Should().Be(HttpStatusCode.Gone);
    }
}
