using Archiver.Emulators.MongoDb;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests.VolumeSnapshots;

/// <summary>
/// What the volume-snapshot tests back up and restore from: a three-member emulated replica set keeping each member's
/// data in a folder of its own (its "claim"), a client of the set, one client per member, and a
/// <see cref="FolderSnapshotter"/> that copies a member's folder as a CSI driver copies a volume.
/// </summary>
internal sealed class SnapshotReplicaSet : IAsyncDisposable
{
    private readonly Dictionary<string, MongoClient> _members = new(StringComparer.Ordinal);

    private SnapshotReplicaSet(string root, MongoEmulator emulator, MongoClient client)
    {
        Root = root;
        Emulator = emulator;
        Client = client;
    }

    public string Root { get; }

    public MongoEmulator Emulator { get; }

    public MongoClient Client { get; }

    public FolderSnapshotter Snapshots { get; private set; } = null!;

    public static async Task<SnapshotReplicaSet> StartAsync(string name)
    {
        var root = Directory.CreateTempSubdirectory($"archiver-{name}-").FullName;
        var folders = Enumerable.Range(0, 3).Select(i => Directory.CreateDirectory(Path.Combine(root, $"member-{i}")).FullName).ToList();
        var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { Members = 3, PeriodicNoopInterval = null, DataDirectories = folders });
        var set = new SnapshotReplicaSet(root, emulator, TestClients.Create(emulator.ConnectionString));
        set.Snapshots = new FolderSnapshotter(emulator, folders, Directory.CreateDirectory(Path.Combine(root, "snapshots")).FullName, set.Member);
        return set;
    }

    /// <summary>One client per member (clients of equal settings share a cluster, which disposing one would close).</summary>
    public MongoClient Member(string host)
    {
        lock (_members)
        {
            if (!_members.TryGetValue(host, out var client)) _members[host] = client = TestClients.Create($"mongodb://{host}/?directConnection=true");
            return client;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _members.Values) TestClients.Dispose(client);
        TestClients.Dispose(Client);
        await Emulator.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}
