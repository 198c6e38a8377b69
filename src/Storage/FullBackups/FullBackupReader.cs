using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using ZstdSharp;

namespace Archiver.Storage.FullBackups;

/// <summary>Reads manifests and streams data files back, verifying each against its manifest.</summary>
public sealed class FullBackupReader(IObjectStore store, RepositoryLayout layout)
{
    private const string ManifestName = "/manifest.json";

    public async Task<BackupManifest> ReadManifestAsync(string backupId, CancellationToken cancellationToken = default)
    {
        var key = layout.BackupManifestKey(backupId);
        var manifest = CheckedJson.Deserialize(key, await store.GetBytesAsync(key, cancellationToken), StorageJsonContext.Default.BackupManifest);
        return manifest.Id == backupId
            ? manifest
            : throw new CorruptObjectException(key, $"it describes backup '{manifest.Id}', not '{backupId}'");
    }

    /// <summary>Every finished backup (with a manifest), oldest first. Backups still being written are not listed.</summary>
    public async Task<IReadOnlyList<BackupManifest>> ListAsync(CancellationToken cancellationToken = default)
    {
        var manifests = new List<BackupManifest>();
        await foreach (var item in store.ListAllAsync(layout.BackupsPrefix, cancellationToken))
        {
            var rest = item.Key.AsSpan(layout.BackupsPrefix.Length);
            if (rest.EndsWith(ManifestName, StringComparison.Ordinal) && rest.IndexOf('/') == rest.Length - ManifestName.Length)
            {
                manifests.Add(await ReadManifestAsync(rest[..^ManifestName.Length].ToString(), cancellationToken));
            }
        }

        return manifests;
    }

    /// <summary>
    /// Opens a data file for streaming. Size and checksum are checked when the end is reached, so read it to the
    /// end (CopyToAsync does) before trusting it.
    /// </summary>
    public async Task<Stream> OpenFileAsync(BackupManifest manifest, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var file = manifest.Files.SingleOrDefault(f => f.Name == name)
            ?? throw new ArgumentException($"Backup {manifest.Id} has no file named '{name}'.", nameof(name));
        var key = layout.BackupFileKey(manifest.Id, name);
        var stored = await store.GetAsync(key, cancellationToken);
        var decoded = file.Codec switch
        {
            "zstd" => new DecompressionStream(stored, leaveOpen: false),
            "none" => stored,
            _ => throw new CorruptObjectException(key, $"its manifest names an unknown codec '{file.Codec}'"),
        };
        return new VerifyingReadStream(decoded, key, file.Size, file.Sha256);
    }
}
