using System.Net;

namespace Archiver.Emulators.Cluster.Network;

/// <summary>
/// The stand-in's pod and service networks: addresses in 127.0.0.0/8, every one of which is this machine's own and
/// bindable without any set-up. Each stand-in takes a /16 of its own (<c>127.R.0.0</c>), pods from its lower half and
/// Services from its upper half, as a cluster's pod and service CIDRs; a pod that comes back gets a new address, as
/// in a cluster. Two stand-ins in one process never share a /16; across processes a random one makes a clash unlikely.
/// </summary>
internal sealed class AddressPool : IDisposable
{
    private static readonly HashSet<int> s_taken = [];
    private readonly Lock _sync = new();
    private readonly HashSet<int> _inUse = [];
    private int _nextPod;
    private int _nextService;

    public AddressPool()
    {
        lock (s_taken)
        {
            // 127.0.x.x and 127.1.x.x are left to everyone else (127.0.0.1 is where the API server listens).
            var free = Enumerable.Range(16, 240).Where(r => !s_taken.Contains(r)).ToList();
            if (free.Count == 0) throw new InvalidOperationException("every 127.R.0.0/16 is taken by a running stand-in");
            Prefix = free[Random.Shared.Next(free.Count)];
            s_taken.Add(Prefix);
        }
    }

    /// <summary>The second byte of every address: the stand-in's /16.</summary>
    public int Prefix { get; }

    /// <summary>The next unused pod address (127.R.0.2 up to 127.R.127.254).</summary>
    public IPAddress NextPod()
    {
        lock (_sync)
        {
            for (var tries = 0; tries < 128 * 253; tries++)
            {
                var n = _nextPod++ % (128 * 253);
                var index = ((n / 253) << 8) | (n % 253 + 2);
                if (_inUse.Add(index)) return Address(index);
            }

            throw new InvalidOperationException("the pod network is full");
        }
    }

    /// <summary>The next service address (127.R.128.1 upwards), never given back while the stand-in runs.</summary>
    public IPAddress NextService()
    {
        lock (_sync)
        {
            var n = _nextService++;
            return Address(((128 + n / 254) << 8) | (n % 254 + 1));
        }
    }

    public void Release(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        lock (_sync)
        {
            _inUse.Remove((bytes[2] << 8) | bytes[3]);
        }
    }

    public void Dispose()
    {
        lock (s_taken)
        {
            s_taken.Remove(Prefix);
        }
    }

    private IPAddress Address(int index) => new([127, (byte)Prefix, (byte)(index >> 8), (byte)(index & 255)]);
}
