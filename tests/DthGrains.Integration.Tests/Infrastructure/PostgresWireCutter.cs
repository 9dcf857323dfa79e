using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// A loopback relay in front of a real PostgreSQL that breaks connections at the worst moment of one transaction, the
/// one whose statements carry a marker (a stream key, say): after PostgreSQL committed it and before the client hears so
/// (the client cannot tell whether it committed), or just before its COMMIT is sent (nothing is committed). Optionally
/// the whole server then looks gone (every connection cut, new ones refused) until <see cref="Restore"/>, as when
/// PostgreSQL restarts under the commit. Everything else is relayed byte for byte.
/// </summary>
/// <remarks>
/// It reads the frontend/backend protocol's framing only: the client's startup packet (length, no type byte), then
/// messages of a type byte and a length. SSL and GSS encryption are switched off in <see cref="Route"/>'s connection
/// string, so no unframed byte is ever answered. Npgsql sends BEGIN, COMMIT and ROLLBACK as simple queries.
/// </remarks>
public sealed class PostgresWireCutter : IAsyncDisposable
{
    public enum Moment
    {
        /// <summary>PostgreSQL answered the COMMIT; the answer is dropped and the connection cut.</summary>
        AfterCommitAcknowledged,

        /// <summary>The COMMIT is not sent; the connection is cut (the transaction rolls back).</summary>
        BeforeCommit,
    }

    private const int SslRequest = 80877103, GssRequest = 80877104, CancelRequest = 80877102;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Relay> _relays = [];
    private readonly Task _accepting;
    private (string Host, int Port)? _upstream;
    private Armed? _armed;
    private volatile bool _down;
    private int _cuts;

    private PostgresWireCutter()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public static PostgresWireCutter Start() => new();

    /// <summary>Transactions cut so far.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>The connection string through this relay (its server is the upstream; one per relay).</summary>
    public string Route(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        _upstream ??= (builder.Host ?? "127.0.0.1", builder.Port);
        builder.Host = "127.0.0.1";
        builder.Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        builder.SslMode = SslMode.Disable;
        builder.GssEncryptionMode = GssEncryptionMode.Disable;
        return builder.ConnectionString;
    }

    /// <summary>
    /// Cuts the next transaction whose statements contain <paramref name="marker"/> at <paramref name="moment"/>, once.
    /// With <paramref name="thenDown"/> every connection is cut with it and new ones are refused until <see cref="Restore"/>.
    /// </summary>
    public void Arm(string marker, Moment moment, bool thenDown = false)
    {
        Volatile.Write(ref _armed, new Armed(Encoding.UTF8.GetBytes(marker), moment, thenDown));
    }

    /// <summary>The server is reachable again.</summary>
    public void Restore() => _down = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            if (_down || _upstream is not { } upstream)
            {
                client.Dispose();
                continue;
            }
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.NoDelay = true;
            try
            {
                await server.ConnectAsync(upstream.Host, upstream.Port, _stop.Token);
            }
            catch (Exception)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }
            var relay = new Relay(this, client, server);
            lock (_relays)
            {
                // Accepted while the server went away: a connection that Fired did not see must not survive it.
                if (_down)
                {
                    relay.Close();
                    continue;
                }
                _relays.Add(relay);
            }
            relay.Start();
        }
    }

    /// <summary>The armed cut, if it is this transaction's: taken once.</summary>
    private Armed? Take(Armed armed) => Interlocked.CompareExchange(ref _armed, null, armed) == armed ? armed : null;

    private void Fired(Armed armed, Relay relay)
    {
        relay.Close();
        if (armed.ThenDown)
        {
            Relay[] all;
            lock (_relays)
            {
                _down = true;
                all = [.. _relays];
            }
            foreach (var r in all) r.Close();
        }
        Interlocked.Increment(ref _cuts);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Relay[] all;
        lock (_relays) all = [.. _relays];
        foreach (var r in all) r.Close();
        try
        {
            // The accept loop is this relay's own, started in the constructor.
#pragma warning disable VSTHRD003
            await _accepting;
#pragma warning restore VSTHRD003
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private sealed record Armed(byte[] Marker, Moment Moment, bool ThenDown);

    /// <summary>One client connection and its server connection.</summary>
    private sealed class Relay(PostgresWireCutter owner, Socket client, Socket server)
    {
        private readonly NetworkStream _client = new(client, ownsSocket: true);
        private readonly NetworkStream _server = new(server, ownsSocket: true);
        // Set by the client's side, read by the server's: the transaction under way carries the marker, and the cut
        // waits for the COMMIT's answer.
        private volatile bool _carrying;
        private volatile Armed? _cutOnCommitAnswer;
        private int _closed;

        public void Start()
        {
            _ = Task.Run(FromClientAsync);
            _ = Task.Run(FromServerAsync);
        }

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 1) return;
            _client.Dispose();
            _server.Dispose();
        }

        private async Task FromClientAsync()
        {
            try
            {
                // The startup packet (or a cancel request, after which nothing is framed).
                while (true)
                {
                    var length = await ReadLengthAsync(_client, header: 0);
                    if (length is null) return;
                    var payload = new byte[length.Value - 4];
                    await _client.ReadExactlyAsync(payload);
                    await WriteAsync(_server, null, payload);
                    var code = BinaryPrimitives.ReadInt32BigEndian(payload);
                    if (code == CancelRequest)
                    {
                        await _client.CopyToAsync(_server);
                        return;
                    }
                    if (code is not (SslRequest or GssRequest)) break;
                }
                while (true)
                {
                    var type = await ReadTypeAsync(_client);
                    if (type < 0) return;
                    var length = await ReadLengthAsync(_client, header: 1);
                    if (length is null) return;
                    var payload = new byte[length.Value - 4];
                    await _client.ReadExactlyAsync(payload);
                    if (!Inspect((byte)type, payload)) return;
                    await WriteAsync(_server, (byte)type, payload);
                }
            }
            catch (Exception)
            {
                // A closed relay: nothing more to pass on.
            }
            finally
            {
                Close();
            }
        }

        /// <summary>Tracks the transaction's marker and COMMIT; false when the connection is cut here.</summary>
        private bool Inspect(byte type, byte[] payload)
        {
            var armed = Volatile.Read(ref owner._armed);
            if (armed is null) return true;
            var query = type == (byte)'Q' ? Encoding.UTF8.GetString(payload).TrimEnd('\0').TrimStart() : null;
            if (query is not null && (query.StartsWith("BEGIN", StringComparison.OrdinalIgnoreCase) || query.StartsWith("ROLLBACK", StringComparison.OrdinalIgnoreCase)))
                _carrying = false;
            if (payload.AsSpan().IndexOf(armed.Marker) >= 0) _carrying = true;
            if (query is null || !query.StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase) || !_carrying) return true;
            if (owner.Take(armed) is not { } taken) return true;
            if (taken.Moment == Moment.BeforeCommit)
            {
                owner.Fired(taken, this);
                return false;
            }
            _cutOnCommitAnswer = taken;
            return true;
        }

        private async Task FromServerAsync()
        {
            try
            {
                while (true)
                {
                    var type = await ReadTypeAsync(_server);
                    if (type < 0) return;
                    var length = await ReadLengthAsync(_server, header: 1);
                    if (length is null) return;
                    var payload = new byte[length.Value - 4];
                    await _server.ReadExactlyAsync(payload);
                    // CommandComplete "COMMIT": PostgreSQL has committed; the client never hears it.
                    if (type == 'C' && _cutOnCommitAnswer is { } armed && Encoding.UTF8.GetString(payload).StartsWith("COMMIT", StringComparison.Ordinal))
                    {
                        owner.Fired(armed, this);
                        return;
                    }
                    await WriteAsync(_client, (byte)type, payload);
                }
            }
            catch (Exception)
            {
                // A closed relay.
            }
            finally
            {
                Close();
            }
        }

        /// <summary>A message's type byte; -1 at the end of the stream.</summary>
        private static async Task<int> ReadTypeAsync(NetworkStream stream)
        {
            var one = new byte[1];
            return await stream.ReadAsync(one) == 0 ? -1 : one[0];
        }

        private static async Task<int?> ReadLengthAsync(NetworkStream stream, int header)
        {
            var bytes = new byte[4];
            try
            {
                await stream.ReadExactlyAsync(bytes);
            }
            catch (EndOfStreamException)
            {
                return null;
            }
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes);
            return length < 4 ? throw new InvalidDataException($"Bad message length {length} (header {header}).") : length;
        }

        private static async Task WriteAsync(NetworkStream stream, byte? type, byte[] payload)
        {
            var message = new byte[(type is null ? 0 : 1) + 4 + payload.Length];
            var at = 0;
            if (type is { } t) message[at++] = t;
            BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(at), payload.Length + 4);
            payload.CopyTo(message, at + 4);
            await stream.WriteAsync(message);
        }
    }
}
