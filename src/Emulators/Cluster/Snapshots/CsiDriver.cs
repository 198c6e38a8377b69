using System.Runtime.Versioning;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Cluster.Snapshots;

/// <summary>
/// The storage system behind the stand-in's claims, as a CSI driver's controller service presents it (CSI spec
/// <c>CreateVolume</c>, <c>DeleteVolume</c>, <c>CreateSnapshot</c>, <c>ListSnapshots</c>, <c>DeleteSnapshot</c>; shaped
/// after kubernetes-csi/csi-driver-host-path, whose volumes are folders too): a volume is a folder of this machine
/// (where the kubelet bind-mounts it) with its capacity beside it, a snapshot is a folder copied from a volume's,
/// with its id (the snapshot handle), name, source volume, creation time and size beside it. The copy is taken file by
/// file, not atomically: a process writing the volume meanwhile can leave the snapshot torn, as a crash-consistent
/// storage snapshot of an unquiesced database can be (a backup quiesces the database first). The cut (CSI's
/// <c>creation_time</c>) is when the copy began; it is reported once the copy has ended. The snapshot reports
/// <c>ready_to_use</c> and its <c>size_bytes</c> (the source volume's capacity, as drivers report it) only
/// <see cref="ClusterStandInOptions.SnapshotReadyDelay"/> later, as a snapshot still being uploaded does. While a test
/// holds cuts (<see cref="HoldCuts"/>), a CreateSnapshot of a new snapshot waits before its copy begins, as a storage
/// system slow to cut keeps the call open (within the csi-snapshotter's timeout, so no error is reported meanwhile). It
/// reports neither the CLONE_VOLUME capability nor any other than these calls.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class CsiDriver(string name, string stateFolder, Func<string, string> volumeFolder, TimeProvider time, TimeSpan readyDelay)
{
    private readonly Lock _sync = new();
    private TaskCompletionSource? _cutsHeld;
    private int _cutsToFail;
    private string _cutFailure = "";

    /// <summary>The driver's name (CSI <c>GetPluginInfo</c>), which classes and contents name.</summary>
    public string Name { get; } = name;

    private string SnapshotsFolder => Path.Combine(stateFolder, "snapshots");

    public string SnapshotFolder(string handle) => Path.Combine(SnapshotsFolder, handle);

    /// <summary>Where a volume's files are (the kubelet bind-mounts this folder).</summary>
    public string VolumeFolder(string volume) => volumeFolder(volume);

    /// <summary>CSI CreateVolume: a folder of <paramref name="capacity"/> bytes, empty or a copy of a snapshot's (volume_content_source).</summary>
    public void CreateVolume(string volume, long capacity, string? fromSnapshot = null)
    {
        var folder = volumeFolder(volume);
        if (fromSnapshot is not null && Snapshot(fromSnapshot) is null) throw new CsiException("NotFound", $"snapshot {fromSnapshot} not found");
        if (fromSnapshot is not null && !Directory.Exists(folder)) CopyTree(SnapshotFolder(fromSnapshot), folder);
        Directory.CreateDirectory(folder);
        Write(folder + ".json", new JsonObject { ["capacity"] = capacity, ["source"] = fromSnapshot });
    }

    /// <summary>A volume's capacity in bytes, as provisioned; 0 when unknown.</summary>
    public long CapacityOf(string volume) => Read(volumeFolder(volume) + ".json")?["capacity"]?.GetValue<long>() ?? 0;

    /// <summary>CSI DeleteVolume: the folder and its record go.</summary>
    public void DeleteVolume(string volume)
    {
        var folder = volumeFolder(volume);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        File.Delete(folder + ".json");
    }

    /// <summary>
    /// Until the returned hold is disposed, a CreateSnapshot of a new snapshot waits before its copy begins (its cut is
    /// when it is released): what a test needs to act while a backup holds a member locked for a cut.
    /// </summary>
    public IDisposable HoldCuts()
    {
        lock (_sync)
        {
            _cutsHeld ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return new CutHold(this);
    }

    /// <summary>
    /// The next <paramref name="count"/> CreateSnapshot calls of a new snapshot fail with gRPC <c>Unavailable</c> and
    /// <paramref name="message"/>, as a storage system that is briefly overloaded answers; the csi-snapshotter writes the
    /// error into the content's (and so the snapshot's) status and tries again at its next pass.
    /// </summary>
    public void FailCuts(int count, string message)
    {
        lock (_sync)
        {
            (_cutsToFail, _cutFailure) = (count, message);
        }
    }

    /// <summary>
    /// CSI CreateSnapshot, idempotent by name: the snapshot of that name if it exists (its readiness as of now),
    /// else a copy of the volume's folder taken now (once cuts are no longer held). gRPC's errors: NotFound for a
    /// missing source volume, AlreadyExists for a name taken by a snapshot of another volume.
    /// </summary>
    public async Task<CsiSnapshot> CreateSnapshotAsync(string snapshotName, string sourceVolume, CancellationToken cancellation)
    {
        Task held;
        lock (_sync)
        {
            if (All().FirstOrDefault(s => s.Name == snapshotName) is { } existing)
            {
                return existing.SourceVolume == sourceVolume ? existing
                    : throw new CsiException("AlreadyExists", $"snapshot with the same name: {snapshotName} but with different SourceVolumeId already exist");
            }

            held = _cutsHeld?.Task ?? Task.CompletedTask;
            if (_cutsToFail > 0)
            {
                _cutsToFail--;
                throw new CsiException("Unavailable", _cutFailure);
            }
        }

        await held.WaitAsync(cancellation).ConfigureAwait(false);
        var source = volumeFolder(sourceVolume);
        if (!Directory.Exists(source)) throw new CsiException("NotFound", $"source volume {sourceVolume} not found");
        var handle = Guid.NewGuid().ToString();
        var cut = time.GetUtcNow();
        CopyTree(source, SnapshotFolder(handle));
        var copied = time.GetUtcNow();
        lock (_sync)
        {
            Write(SnapshotFolder(handle) + ".json", new JsonObject
            {
                ["name"] = snapshotName,
                ["source"] = sourceVolume,
                ["creationTime"] = cut.ToUnixTimeMilliseconds() * 1_000_000,
                ["readyAt"] = (copied + readyDelay).ToUnixTimeMilliseconds(),
                ["size"] = CapacityOf(sourceVolume),
            });
        }

        return Snapshot(handle)!;
    }

    /// <summary>CSI ListSnapshots by id: the snapshot, or null when the driver has none by that id.</summary>
    public CsiSnapshot? Snapshot(string handle)
    {
        if (handle.Length == 0 || handle.Contains('/', StringComparison.Ordinal) || handle.StartsWith('.')) return null;
        return Read(SnapshotFolder(handle) + ".json") is { } record && Directory.Exists(SnapshotFolder(handle)) ? Of(handle, record) : null;
    }

    /// <summary>CSI DeleteSnapshot: the copy and its record go; deleting one that is gone succeeds, as CSI requires.</summary>
    public void DeleteSnapshot(string handle)
    {
        if (Snapshot(handle) is null) return;
        lock (_sync)
        {
            File.Delete(SnapshotFolder(handle) + ".json");
        }

        Directory.Delete(SnapshotFolder(handle), recursive: true);
    }

    private List<CsiSnapshot> All()
    {
        if (!Directory.Exists(SnapshotsFolder)) return [];
        return [.. Directory.EnumerateFiles(SnapshotsFolder, "*.json").Select(f => Snapshot(Path.GetFileNameWithoutExtension(f))).OfType<CsiSnapshot>()];
    }

    private CsiSnapshot Of(string handle, JsonObject record)
    {
        var readyAt = DateTimeOffset.FromUnixTimeMilliseconds(record["readyAt"]!.GetValue<long>());
        var ready = time.GetUtcNow() >= readyAt;
        return new CsiSnapshot(handle, J(record["name"]), J(record["source"]), record["creationTime"]!.GetValue<long>(), ready ? record["size"]!.GetValue<long>() : 0, ready, readyAt);
    }

    private static string J(JsonNode? node) => node?.GetValue<string>() ?? "";

    /// <summary>
    /// File by file, each read while others may write it (shared for reading, writing and deleting): what a writer
    /// does meanwhile lands in the copy or not, file by file. A file removed meanwhile is left out.
    /// </summary>
    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(to, entry.Name);
            try
            {
                if (entry.LinkTarget is { } link)
                {
                    File.CreateSymbolicLink(target, link);
                }
                else if (entry is DirectoryInfo)
                {
                    CopyTree(entry.FullName, target);
                }
                else
                {
                    using (var source = new FileStream(entry.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                    using (var copy = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                    {
                        source.CopyTo(copy);
                    }

                    File.SetUnixFileMode(target, File.GetUnixFileMode(entry.FullName));
                }
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // Deleted by a writer while the copy ran: not in the snapshot.
            }
        }
    }

    private static void Write(string path, JsonObject record)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, record.ToJsonString());
        File.Move(temporary, path, overwrite: true);
    }

    private static JsonObject? Read(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>A test's hold on cuts (<see cref="HoldCuts"/>): disposing it lets every waiting CreateSnapshot copy.</summary>
    private sealed class CutHold(CsiDriver driver) : IDisposable
    {
        public void Dispose()
        {
            TaskCompletionSource? held;
            lock (driver._sync)
            {
                held = driver._cutsHeld;
                driver._cutsHeld = null;
            }

            held?.TrySetResult();
        }
    }
}
