using System.IO.Pipelines;
using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using ZstdSharp;

namespace Archiver.Storage.FullBackups;

/// <summary>
/// Writes one full backup: data files first, streamed through zstd and SHA-256 into the store (so a large
/// collection is never held in memory), then the manifest. Until the manifest is published the backup does not
/// exist for any reader; a crash leaves only unreferenced files that retention removes.
/// </summary>
public sealed class FullBackupWriter
{
    private readonly IObjectStore _store;
    private readonly RepositoryLayout _layout;
    private readonly BackupStart _start;
    private readonly List<BackupFile> _files = [];
    private readonly List<VolumeSnapshotRecord> _volumeSnapshots = [];
    private readonly Lock _filesLock = new();

    public FullBackupWriter(IObjectStore store, RepositoryLayout layout, BackupStart start, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(start);
        _store = store;
        _layout = layout;
        _start = start;
        Id = id ?? start.NewId();
        RepositoryLayout.ValidateSegment(Id, nameof(id));
    }

    public string Id { get; }

    public int CompressionLevel { get; init; } = 3;

    /// <summary>Streams one data file into the backup and records its size and checksum.</summary>
    public async Task<BackupFile> AddFileAsync(string name, string component, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        // Files may be added concurrently (a logical dump streams several collections at once).
        lock (_filesLock)
        {
            if (_files.Any(f => f.Name == name))
            {
                throw new ArgumentException($"Backup {Id} already has a file named '{name}'.", nameof(name));
            }
        }

        var key = _layout.BackupFileKey(Id, name);
        using var hashing = new HashingReadStream(content);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        var compress = CompressAsync(hashing, pipe.Writer, cancellationToken);
        long stored;
        await using (var upload = new CountingReadStream(pipe.Reader.AsStream()))
        {
            try
            {
                await _store.PutAsync(key, upload, cancellationToken);
            }
            finally
            {
                // If the upload failed first, stop the compressor; if the compressor failed, surface its error.
                await pipe.Reader.CompleteAsync();
                await compress;
            }

            stored = upload.BytesRead;
        }

        var file = new BackupFile(name, component, hashing.BytesRead, stored, hashing.HashHex(), "zstd");
        lock (_filesLock)
        {
            _files.Add(file);
        }

        return file;
    }

    /// <summary>
    /// Records a component's volume snapshot, taken outside the repository (a CSI driver keeps it): the manifest
    /// names it in place of files.
    /// </summary>
    public void AddVolumeSnapshot(VolumeSnapshotRecord snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_volumeSnapshots) _volumeSnapshots.Add(snapshot);
    }

    /// <summary>Publishes the manifest of a successful backup, consistent at <paramref name="consistentAt"/>.</summary>
    public Task<BackupManifest> CompleteAsync(
        OplogTimestamp consistentAt, long consistentWallUnixMs, DateTimeOffset finishedAt, CancellationToken cancellationToken = default) =>
        PublishAsync(BackupStatus.Succeeded, consistentAt, consistentWallUnixMs, finishedAt, null, null, cancellationToken);

    /// <summary>
    /// Publishes the manifest of a backup taken while writes went on: its data reflects some writes after
    /// <paramref name="replayFrom"/> (T0) and is consistent at <paramref name="consistentAt"/> (T1) once the oplog
    /// after T0 is replayed on it.
    /// </summary>
    public Task<BackupManifest> CompleteAsync(
        OplogTimestamp replayFrom, OplogTimestamp consistentAt, long consistentWallUnixMs, DateTimeOffset finishedAt, CancellationToken cancellationToken = default) =>
        PublishAsync(BackupStatus.Succeeded, consistentAt, consistentWallUnixMs, finishedAt, null, replayFrom, cancellationToken);

    /// <summary>Publishes the manifest of a failed backup, so retention can count it and operators can see why.</summary>
    public Task<BackupManifest> FailAsync(string error, DateTimeOffset finishedAt, CancellationToken cancellationToken = default) =>
        PublishAsync(BackupStatus.Failed, OplogTimestamp.Zero, 0, finishedAt, error, null, cancellationToken);

    private async Task<BackupManifest> PublishAsync(
        BackupStatus status,
        OplogTimestamp consistentAt,
        long consistentWall,
        DateTimeOffset finishedAt,
        string? error,
        OplogTimestamp? replayFrom,
        CancellationToken cancellationToken)
    {
        var manifest = new BackupManifest
        {
            Id = Id,
            Driver = _start.Driver,
            Components = _start.Components,
            ConfigServer = _start.ConfigServer,
            Timeline = _start.Timeline,
            StartedAt = _start.StartedAt,
            FinishedAt = finishedAt,
            Status = status,
            ConsistentAt = consistentAt,
            ConsistentWallUnixMs = consistentWall,
            ReplayFrom = replayFrom,
            Files = [.. _files],
            VolumeSnapshots = [.. _volumeSnapshots],
            Error = error,
            Origin = _start.Origin,
        };
        var bytes = CheckedJson.Serialize(manifest, StorageJsonContext.Default.BackupManifest);
        if (!await _store.PutBytesIfAbsentAsync(_layout.BackupManifestKey(Id), bytes, cancellationToken))
        {
            throw new StorageException($"Backup {Id} already has a manifest; a backup is finished only once.");
        }

        return manifest;
    }

    private async Task CompressAsync(Stream source, PipeWriter writer, CancellationToken cancellationToken)
    {
        // Yield first so the upload starts consuming while this side produces.
        await Task.Yield();
        try
        {
            await using (var zstd = new CompressionStream(writer.AsStream(leaveOpen: true), CompressionLevel, leaveOpen: true))
            {
                await source.CopyToAsync(zstd, 1 << 17, cancellationToken);
            }

            await writer.CompleteAsync();
        }
        catch (Exception e)
        {
            await writer.CompleteAsync(e);
            throw;
        }
    }
}
