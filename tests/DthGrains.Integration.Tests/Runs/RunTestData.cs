using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DthGrains.Integration.Tests.Infrastructure;
using Npgsql;

namespace DthGrains.Integration.Tests.Runs;

public static class RunTestData
{
    /// <summary>A small cohort trial: a few hundred patients over one simulated hour (fast on two cores).</summary>
    public static object Cohort(int size = 200, int shardSize = 25, ulong seed = 42, string[]? datasets = null, string? purpose = null) => new
    {
        kind = "cohort-trial", model = "hovorka", size, seed, duration = 60, outputStep = 10, shardSize, datasets = datasets ?? [], purpose,
    };

    public static async Task<string> SubmitAsync(HttpClient client, object request)
    {
        var response = await client.PostAsync("/api/runs", Governance.GovernanceTestData.Body(request));
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.Accepted, text);
        response.Headers.Location!.ToString().Should().StartWith("/api/runs/");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The run's keep-alive reminders in the reminder table (0 or 1), in <paramref name="transaction"/> when given.</summary>
    public static async Task<long> KeepAlivesOfAsync(NpgsqlConnection connection, string runId, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand("select count(*) from orleans_reminders where reminder_name = 'run-keepalive' and grain_id like '%' || @id",
            connection, transaction);
        command.Parameters.AddWithValue("id", runId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<long> KeepAlivesOfAsync(string connectionString, string runId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return await KeepAlivesOfAsync(connection, runId);
    }

    public static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string id, string status, int seconds = 60) =>
        await Eventually.Until(() => client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}"), d => d.GetProperty("status").GetString() == status,
            TimeSpan.FromSeconds(seconds), $"run {id} to be {status}");

    /// <summary>Reads SSE frames (id, event, data) until the stream ends or <paramref name="stopAfter"/> frames with an id were read.</summary>
    public static async Task<List<(long? Id, string Event, string Data)>> ReadEventsAsync(HttpClient client, string id, long? lastEventId = null, int stopAfter = int.MaxValue,
        Func<(long? Id, string Event, string Data), bool>? until = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{id}/events");
        if (lastEventId is { } last) request.Headers.TryAddWithoutValidation("Last-Event-ID", last.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        var frames = new List<(long?, string, string)>();
        long? frameId = null;
        string evt = "message", data = "";
        int withId = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    frames.Add((frameId, evt, data));
                    if (until is not null && until(frames[^1])) break;
                }
                if (frameId is not null && ++withId >= stopAfter) break;
                (frameId, evt, data) = (null, "message", "");
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal)) frameId = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) evt = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
        }
        return frames;
    }
}
