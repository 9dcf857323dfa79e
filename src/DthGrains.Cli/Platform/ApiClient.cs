using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace DthGrains.Cli.Platform;

/// <summary>A thin HTTP client for the DthGrains API that turns ProblemDetails into readable errors.</summary>
public sealed class ApiClient(HttpClient http) : IDisposable
{
    /// <param name="timeout">How long a request may take (100 s unless given: the checks that read the whole ledger take
    /// longer on a long one, and are given <see cref="Timeout.InfiniteTimeSpan"/>: Ctrl-C stops them).</param>
    public static ApiClient From(ParseResult parse, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = CliSettings.ResolveBaseAddress(parse), Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        if (CliSettings.ResolveToken(parse) is { } token)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new ApiClient(client);
    }

    /// <summary>Tries of one request that the platform answers 503, or 429 with a short Retry-After.</summary>
    public const int MaxAttempts = 3;

    /// <summary>The longest Retry-After that is waited for; a longer one (or a 429 without one, a quota) is shown instead.</summary>
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Sends a JSON request and reads the answer. A command (anything but GET) carries an Idempotency-Key, one for all its
    /// tries, so that a try the platform did record before it answered 503 (or before the connection dropped) is not
    /// recorded twice: the platform answers the repeat as the first, creations included. A 503, or a 429 with a short
    /// Retry-After, is tried again after the wait it names, up to <see cref="MaxAttempts"/> times.
    /// </summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body = null, string? accept = null, CancellationToken ct = default)
    {
        var key = method == HttpMethod.Get ? null : Guid.NewGuid().ToString("N");
        var json = body is null ? null : JsonSerializer.Serialize(body, CliJson.Options);
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path.TrimStart('/'));
            if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            if (accept is not null) request.Headers.Accept.ParseAdd(accept);
            if (key is not null) request.Headers.Add("Idempotency-Key", key);
            using var response = await Timed(() => http.SendAsync(request, ct), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (attempt < MaxAttempts && RetryDelay(response) is { } wait)
            {
                Console.Error.WriteLine($"{(int)response.StatusCode} {Describe(text, response)}; trying again in {wait.TotalSeconds:0} s ({attempt + 1} of {MaxAttempts})");
                await Task.Delay(wait, ct);
                continue;
            }
            if (!response.IsSuccessStatusCode) throw new ApiException((int)response.StatusCode, Describe(text, response));
            if (string.IsNullOrWhiteSpace(text)) return default;
            if (accept is not null && !accept.Contains("json", StringComparison.Ordinal)) return JsonSerializer.SerializeToElement(text);
            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }

    /// <summary>How long to wait before trying again, or null when the answer is final.</summary>
    private static TimeSpan? RetryDelay(HttpResponseMessage response)
    {
        var after = response.Headers.RetryAfter?.Delta ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        return (int)response.StatusCode switch
        {
            503 when after is null => TimeSpan.FromSeconds(1),
            503 or 429 when after is { } a && a <= MaxRetryAfter => a < TimeSpan.Zero ? TimeSpan.Zero : a,
            _ => null,
        };
    }

    public Task<JsonElement> GetAsync(string path, CancellationToken ct = default) => SendAsync(HttpMethod.Get, path, ct: ct);

    private static string? KeyOf(JsonElement item) =>
        item.ValueKind == JsonValueKind.Object && (item.TryGetProperty("id", out var id) || item.TryGetProperty("entityId", out id)) ? id.ToString() : null;

    /// <summary>
    /// Every item of a list the API answers a page at a time (<c>?offset=&amp;limit=</c>, <c>{items, total}</c>), as one
    /// <c>{items, total}</c>: a list command showed the first page alone, under a total that counted the rest.
    /// </summary>
    public async Task<JsonElement> GetAllPagesAsync(string path, int pageSize, CancellationToken ct = default)
    {
        // A list that changes while it is read (a twin marked stale moves to the head, a run submitted meanwhile) shifts
        // the pages: an item met twice is kept once. One that moved ahead of the pages read may be missed; it shows on
        // the next listing.
        var items = new List<JsonElement>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long total;
        var offset = 0;
        do
        {
            var page = await GetAsync($"{path}{(path.Contains('?', StringComparison.Ordinal) ? '&' : '?')}offset={offset}&limit={pageSize}", ct);
            var got = page.GetProperty("items").EnumerateArray().Select(e => e.Clone()).ToList();
            total = page.GetProperty("total").GetInt64();
            offset += got.Count;
            items.AddRange(got.Where(e => KeyOf(e) is not { } key || seen.Add(key)));
            if (got.Count == 0) break;
        }
        while (offset < total);
        return JsonSerializer.SerializeToElement(new { items, total });
    }

    /// <summary>
    /// Every item of a list the API answers as a bare array a page at a time (the grants, a subject's access log), as one
    /// array: pages are asked for, each by <paramref name="pathAfter"/> from the items read so far, until one comes back
    /// short of <paramref name="pageSize"/>.
    /// </summary>
    public async Task<JsonElement> GetArrayPagesAsync(Func<IReadOnlyList<JsonElement>, string> pathAfter, int pageSize, CancellationToken ct = default)
    {
        var items = new List<JsonElement>();
        while (true)
        {
            var page = (await GetAsync(pathAfter(items), ct)).EnumerateArray().Select(e => e.Clone()).ToList();
            items.AddRange(page);
            if (page.Count < pageSize) return JsonSerializer.SerializeToElement(items);
        }
    }

    /// <summary>
    /// Sends any body (a file stream, a FHIR Bundle...) with its own content type and returns the answer as text,
    /// whatever its status: for routes whose errors are not ProblemDetails (FHIR OperationOutcome) or whose answers are not JSON.
    /// </summary>
    public async Task<RawResponse> SendRawAsync(HttpMethod method, string path, HttpContent? content = null, string? accept = null, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path.TrimStart('/'));
            request.Content = content;
            if (accept is not null) request.Headers.Accept.ParseAdd(accept);
            using var response = await Timed(() => http.SendAsync(request, ct), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            // A request without a body is tried again as SendAsync tries (a lineage export while the silo is still reading
            // the ledger is a 503 with Retry-After); a body sent once may be a stream, which cannot be sent again.
            if (content is null && attempt < MaxAttempts && RetryDelay(response) is { } wait)
            {
                Console.Error.WriteLine($"{(int)response.StatusCode} {Describe(text, response)}; trying again in {wait.TotalSeconds:0} s ({attempt + 1} of {MaxAttempts})");
                await Task.Delay(wait, ct);
                continue;
            }
            return new RawResponse((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, response.ReasonPhrase);
        }
    }

    /// <summary>
    /// GETs a possibly large answer (a cohort's results, an RO-Crate) and hands its body to <paramref name="consume"/> as
    /// it arrives, never holding it whole; an error answer throws as <see cref="SendAsync"/> does, before anything is
    /// consumed (so no file is left half-written for an error). The client's timeout covers the wait for the headers,
    /// not the transfer.
    /// </summary>
    public async Task DownloadAsync(string path, Func<Stream, CancellationToken, Task> consume, CancellationToken ct = default)
    {
        using var response = await Timed(() => http.GetAsync(path.TrimStart('/'), HttpCompletionOption.ResponseHeadersRead, ct), ct);
        if (!response.IsSuccessStatusCode) throw new ApiException((int)response.StatusCode, Describe(await response.Content.ReadAsStringAsync(ct), response));
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await consume(body, ct);
    }

    /// <summary>
    /// Sends a request, turning the client's timeout into <see cref="PlatformTimeoutException"/>: HttpClient reports it as
    /// a cancellation, which System.CommandLine takes for Ctrl-C and ends the command without a word. A cancellation of
    /// <paramref name="ct"/> (Ctrl-C) stays one.
    /// </summary>
    private async Task<HttpResponseMessage> Timed(Func<Task<HttpResponseMessage>> send, CancellationToken ct)
    {
        try
        {
            return await send();
        }
        catch (TaskCanceledException ex) when (ex.InnerException is TimeoutException && !ct.IsCancellationRequested)
        {
            throw new PlatformTimeoutException(http.Timeout, ex);
        }
    }

    /// <summary>The error a failed raw answer stands for, read as ProblemDetails when it is one.</summary>
    public static ApiException ErrorOf(RawResponse response) => new(response.Status, Describe(response.Body, response.Status, response.ReasonPhrase));

    private static string Describe(string body, HttpResponseMessage response) => Describe(body, (int)response.StatusCode, response.ReasonPhrase);

    private static string Describe(string body, int status, string? reasonPhrase)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("resourceType", out var type) && type.ValueKind == JsonValueKind.String
                && type.GetString() == "OperationOutcome")
                return Outcome(root, reasonPhrase);
            var sb = new StringBuilder();
            sb.Append(root.ValueKind == JsonValueKind.Object && root.TryGetProperty("title", out var t) ? t.GetString() : reasonPhrase);
            if (root.ValueKind != JsonValueKind.Object) return sb.ToString();
            if (root.TryGetProperty("detail", out var d)) sb.Append(": ").Append(d.GetString());
            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                foreach (var field in errors.EnumerateObject())
                    foreach (var message in field.Value.EnumerateArray())
                        sb.Append("\n  ").Append(field.Name).Append(": ").Append(message.GetString());
            return sb.ToString();
        }
        catch (JsonException)
        {
            return $"{status} {reasonPhrase}";
        }
    }

    /// <summary>A FHIR route's error (an OperationOutcome): each issue's diagnostics, or its details' text.</summary>
    private static string Outcome(JsonElement outcome, string? reasonPhrase)
    {
        var issues = outcome.TryGetProperty("issue", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(i =>
                    i.TryGetProperty("diagnostics", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()
                    : i.TryGetProperty("details", out var details) && details.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()
                    : null)
                .Where(m => !string.IsNullOrEmpty(m)).ToList()
            : [];
        return issues.Count == 0 ? reasonPhrase ?? "error" : $"{reasonPhrase}: {string.Join("; ", issues)}";
    }

    public void Dispose() => http.Dispose();
}

/// <summary>An answer read as text, whatever its status.</summary>
public sealed record RawResponse(int Status, string? MediaType, string Body, string? ReasonPhrase = null)
{
    public bool IsSuccess => Status is >= 200 and < 300;
}

public sealed class ApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

public static class CliJson
{
    // Printed for people and scripts, never embedded in HTML: "Charité" and "Carla's" as they are, not \u00E9 and \u0027.
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Print(JsonElement value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));

    private static readonly JsonSerializerOptions OneLine = new(Options) { WriteIndented = false };

    /// <summary>One document on one line: JSON Lines, for output that goes on as things happen.</summary>
    public static void PrintLine(JsonElement value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, OneLine));

    /// <summary>
    /// Runs a command body and turns its failures into an <c>error:</c> line on standard error and an exit code
    /// (<see cref="CliErrors"/>). Ctrl-C goes on up, to end the command (<see cref="CliApp.InvokeAsync"/>).
    /// </summary>
    public static Task<int> Run(Func<Task> body) => Run(async () =>
    {
        await body();
        return 0;
    });

    /// <summary>As <see cref="Run(Func{Task})"/>, for a body that gives its own exit code when it ends.</summary>
    public static async Task<int> Run(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception ex) when (CliErrors.Explain(ex).Code != CliErrors.Interrupted)
        {
            return CliErrors.Report(ex);
        }
    }
}
