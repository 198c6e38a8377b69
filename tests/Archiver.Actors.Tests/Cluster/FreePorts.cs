using System.Net;
using System.Net.Sockets;

namespace Archiver.Actors.Tests.Cluster;

/// <summary>Ports nobody listens on at the moment, for servers and cluster members that need a fixed one.</summary>
internal static class FreePorts
{
    public static IReadOnlyList<int> Take(int count)
    {
        // All listeners stay open until every port is read, so the same port is never handed out twice.
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToList();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
