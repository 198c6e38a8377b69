using System.Collections.Concurrent;
using Archiver.Emulators.MongoDb;
using Archiver.Storage.VolumeSnapshots;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests.VolumeSnapshots;

/// <summary>
/// A CSI driver reduced to what the backup's steps see, over the emulator's member folders: a snapshot of a member
/// (the claim is the member's host) is a file-by-file copy of its data folder, cut when the copy ends. It records what
/// the member looked like while it was copied (locked or not, its dbHash), and can fail or never cut on demand.
/// </summary>
internal sealed class FolderSnapshotter(MongoEmulator emulator, IReadOnlyList<string> memberFolders, string snapshots, Func<string, IMongoClient> memberClient) : IVolumeSnapshotter
{
    private readonly ConcurrentDictionary<string, Taken> _taken = new(StringComparer.Ordinal);

    public string? FailCutWith { get; set; }

    public bool NeverCut { get; set; }

    /// <summary>Runs while the copy is made (writes going on, a step-up...).</summary>
    public Func<Task>? DuringCopy { get; set; }

    public ConcurrentQueue<string> Deleted { get; } = new();

    public Taken Of(string name) => _taken[name];

    public Task PrecheckAsync(VolumeSnapshotRequest request, CancellationToken cancellationToken) =>
        request.ClassName == "missing"
            ? throw new VolumeSnapshotFailedException($"VolumeSnapshotClass {request.ClassName} (spec.fullBackup.csiSnapshotter.volumeSnapshotClassName) does not exist")
            : Task.CompletedTask;

    public async Task CreateAsync(VolumeSnapshotRequest request, CancellationToken cancellationToken)
    {
        var member = emulator.Hosts.ToList().IndexOf(request.Claim);
        Assert.True(member >= 0, $"no member {request.Claim}");
        var locked = emulator.IsFsyncLocked(member);
        var hash = await DbHashAsync(memberClient(request.Claim), cancellationToken);
        var target = Path.Combine(snapshots, request.Name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(memberFolders[member]))
        {
            // File by file, as a storage snapshot of a live volume is not one instant: writes may land in between.
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            if (DuringCopy is { } during) await during();
        }

        _taken[request.Name] = new Taken(target, member, locked, hash, DateTimeOffset.UtcNow, emulator.IsFsyncLocked(member));
    }

    public async Task<DateTimeOffset> WaitCutAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        if (NeverCut) await Task.Delay(Timeout.Infinite, cancellationToken);
        if (FailCutWith is { } error) throw new VolumeSnapshotFailedException($"VolumeSnapshot {@namespace}/{name}: {error}");
        return _taken[name].Cut;
    }

    public Task<VolumeSnapshotReady> WaitReadyAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var taken = _taken[name];
        var size = Directory.EnumerateFiles(taken.Folder).Sum(f => new FileInfo(f).Length);
        return Task.FromResult(new VolumeSnapshotReady(size, $"snapcontent-{name}", $"folder://{taken.Folder}", "folder.csi.test", taken.Cut));
    }

    public Task<VolumeSnapshotReady> WaitRestorableAsync(string @namespace, string name, string className, CancellationToken cancellationToken) =>
        _taken.ContainsKey(name) ? WaitReadyAsync(@namespace, name, cancellationToken) : throw new VolumeSnapshotFailedException($"VolumeSnapshot {@namespace}/{name} does not exist");

    public Task<VolumeSnapshotState> StateOfAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult(_taken.ContainsKey(name) ? VolumeSnapshotState.Usable : VolumeSnapshotState.Gone($"VolumeSnapshot {@namespace}/{name} does not exist"));

    public Task DeleteAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        Deleted.Enqueue(name);
        if (_taken.TryRemove(name, out var taken)) Directory.Delete(taken.Folder, recursive: true);
        return Task.CompletedTask;
    }

    // A restore's cluster steps are not this double's: the backup's are (the restore tests use the folders directly).
    public Task<VolumeSnapshotReady> BindCopyAsync(Storage.FullBackups.VolumeSnapshotRecord source, string @namespace, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task DeleteCopyAsync(string @namespace, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task WaitClaimsMadeAsync(string @namespace, IReadOnlyList<string> claims, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ClaimTrouble?> ClaimTroubleAsync(string @namespace, IReadOnlyList<string> claims, CancellationToken cancellationToken) => throw new NotSupportedException();

    /// <summary>The member's dbHash of every user database, as its own reads see the data.</summary>
    private static async Task<string> DbHashAsync(IMongoClient client, CancellationToken cancellationToken)
    {
        var names = await (await client.ListDatabaseNamesAsync(cancellationToken)).ToListAsync(cancellationToken);
        var hashes = new List<string>();
        foreach (var db in names.Where(n => n is not ("admin" or "config" or "local")).Order(StringComparer.Ordinal))
        {
            var reply = await client.GetDatabase(db).RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1), cancellationToken: cancellationToken);
            hashes.Add($"{db}:{reply["md5"].AsString}");
        }

        return string.Join(",", hashes);
    }

    /// <param name="LockedAtCreate">Whether the member was locked when the snapshot was asked for.</param>
    /// <param name="LockedAtCut">Whether it was still locked when the copy was cut.</param>
    internal sealed record Taken(string Folder, int Member, bool LockedAtCreate, string MemberHash, DateTimeOffset Cut, bool LockedAtCut);
}
