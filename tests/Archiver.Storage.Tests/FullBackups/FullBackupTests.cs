using System.Security.Cryptography;
using Archiver.Storage.Backends;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.FullBackups;

public sealed class FullBackupTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
    private readonly TempFolder _folder = new();
    private readonly LocalFolderStore _store;
    private readonly RepositoryLayout _layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");

    public FullBackupTests() => _store = new LocalFolderStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_finished_backup_lists_its_manifest_and_streams_its_files_back_unchanged()
    {
        var writer = NewWriter();
        var expected = SHA256.HashData(new GeneratedStream(3_000_000, 1));
        var file = await writer.AddFileAsync("shop.orders.bson", "rs0", new GeneratedStream(3_000_000, 1));
        await writer.CompleteAsync(new OplogTimestamp(1000, 3), 1_000_000_123, Start.AddMinutes(1));
        var reader = new FullBackupReader(_store, _layout);

        var manifest = (await reader.ListAsync()).Single();
        await using var stream = await reader.OpenFileAsync(manifest, "shop.orders.bson");
        var actual = await SHA256.HashDataAsync(stream);

        Assert.Equal(expected, actual);
        Assert.Equal((BackupStatus.Succeeded, new OplogTimestamp(1000, 3), 1_000_000_123L), (manifest.Status, manifest.ConsistentAt, manifest.ConsistentWallUnixMs));
        Assert.Equal(file, manifest.Files.Single());
        Assert.True(file.StoredSize < file.Size, "the data was compressed");
    }

    [Fact]
    public async Task A_backup_that_never_published_its_manifest_does_not_exist_for_readers()
    {
        var writer = NewWriter();
        await writer.AddFileAsync("a.bson", "rs0", new GeneratedStream(10_000, 2));

        Assert.Empty(await new FullBackupReader(_store, _layout).ListAsync());
    }

    [Fact]
    public async Task A_source_that_breaks_midway_fails_the_file_and_leaves_no_object()
    {
        var writer = NewWriter();

        await Assert.ThrowsAsync<IOException>(() => writer.AddFileAsync("a.bson", "rs0", new FailingStream(new byte[300_000], 200_000)));

        Assert.Empty((await _store.ListAsync(_layout.Prefix + "/")).Objects);
    }

    [Fact]
    public async Task A_data_file_damaged_at_rest_is_reported_by_name_when_read()
    {
        var writer = NewWriter();
        await writer.AddFileAsync("a.bson", "rs0", new GeneratedStream(200_000, 3));
        var manifest = await writer.CompleteAsync(new OplogTimestamp(1, 1), 1, Start);
        var key = _layout.BackupFileKey(writer.Id, "a.bson");
        var bytes = await _store.GetBytesAsync(key);
        bytes[bytes.Length / 2] ^= 0x10;
        await _store.PutBytesAsync(key, bytes);

        await using var stream = await new FullBackupReader(_store, _layout).OpenFileAsync(manifest, "a.bson");
        var error = await Assert.ThrowsAsync<CorruptObjectException>(() => stream.CopyToAsync(Stream.Null));

        Assert.Equal(key, error.Key);
    }

    [Fact]
    public async Task A_damaged_manifest_is_reported_by_name()
    {
        var writer = NewWriter();
        await writer.CompleteAsync(new OplogTimestamp(1, 1), 1, Start);
        var key = _layout.BackupManifestKey(writer.Id);
        var text = System.Text.Encoding.UTF8.GetString(await _store.GetBytesAsync(key)).Replace("\"timeline\": 1", "\"timeline\": 2", StringComparison.Ordinal);
        await _store.PutBytesAsync(key, System.Text.Encoding.UTF8.GetBytes(text));

        var error = await Assert.ThrowsAsync<CorruptObjectException>(() => new FullBackupReader(_store, _layout).ListAsync());

        Assert.Equal(key, error.Key);
    }

    [Fact]
    public async Task A_failed_backup_is_recorded_with_its_error_and_can_not_be_finished_twice()
    {
        var writer = NewWriter();
        await writer.FailAsync("mongodump exited with 1", Start.AddMinutes(2));

        var manifest = (await new FullBackupReader(_store, _layout).ListAsync()).Single();

        Assert.Equal((BackupStatus.Failed, "mongodump exited with 1"), (manifest.Status, manifest.Error));
        await Assert.ThrowsAsync<StorageException>(() => writer.CompleteAsync(new OplogTimestamp(1, 1), 1, Start));
    }

    [Fact]
    public void Backup_ids_sort_by_start_time()
    {
        var ids = Enumerable.Range(0, 20).Select(i => new BackupStart("d", ["rs0"], 1, Start.AddSeconds(i * 37)).NewId()).ToList();

        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
    }

    private FullBackupWriter NewWriter() => new(_store, _layout, new BackupStart("mongodump", ["rs0"], 1, Start));
}
