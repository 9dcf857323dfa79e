using System.Net;
using System.Net.Sockets;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>Free loopback ports for silos and HTTP servers started by tests.</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
