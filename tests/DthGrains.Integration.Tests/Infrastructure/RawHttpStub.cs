using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// A loopback HTTP/1.1 server written by hand, one request per connection, for an answer Kestrel does not give in
/// order: a body cut short after what was sent (Kestrel's abort can drop what it was still sending, headers included,
/// and the client then never had the answer begin).
/// </summary>
public sealed class RawHttpStub : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<Request, Answer> _answer;
    private readonly Task _serving;

    /// <summary>A request as the stub read it: its path (with the query) and headers.</summary>
    public sealed record Request(string Path, IReadOnlyDictionary<string, string> Headers);

    /// <param name="CutShort">the headers promise more than <paramref name="Body"/>, and the connection closes after it.</param>
    public sealed record Answer(int Status, string ContentType, string Body, bool CutShort = false);

    public RawHttpStub(Func<Request, Answer> answer)
    {
        _answer = answer;
        _listener.Start();
        _serving = ServeAsync();
    }

    /// <summary>The address as <c>--url</c> takes it.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            using (client) await AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        var stream = client.GetStream();
        var head = new StringBuilder();
        var buffer = new byte[4096];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0) return;
            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        var lines = head.ToString().Split("\r\n");
        var headers = lines.Skip(1).TakeWhile(l => l.Length > 0).Select(l => l.Split(':', 2))
            .ToDictionary(p => p[0].Trim(), p => p.Length > 1 ? p[1].Trim() : "", StringComparer.OrdinalIgnoreCase);
        var answer = _answer(new Request(lines[0].Split(' ')[1], headers));
        var body = Encoding.UTF8.GetBytes(answer.Body);
        var length = answer.CutShort ? body.Length + 10_000 : body.Length;
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {answer.Status} Stub\r\nContent-Type: {answer.ContentType}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"), _stop.Token);
        await stream.WriteAsync(body, _stop.Token);
        // In order: what was written is delivered before the end, which the client reads as the answer cut short.
        client.Client.Shutdown(SocketShutdown.Send);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
#pragma warning disable VSTHRD003 // the stub's own serving loop, started by its constructor
        await _serving;
#pragma warning restore VSTHRD003
        _stop.Dispose();
    }
}
