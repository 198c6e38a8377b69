using System.Security.Cryptography;
using Archiver.Storage.Backends;
using Archiver.Storage.Encryption;
using Archiver.Storage.Tests.Backends;
using Archiver.Storage.Tests.Support;
using CsCheck;

namespace Archiver.Storage.Tests.Encryption;

public sealed class EncryptedObjectStoreTests : ObjectStoreContract, IDisposable
{
    private static readonly EncryptionSettings Settings = new(RandomNumberGenerator.GetBytes(32), segmentSize: 1024);
    private readonly TempFolder _folder = new();
    private readonly LocalFolderStore _raw;
    private readonly EncryptedObjectStore _store;

    public EncryptedObjectStoreTests()
    {
        _raw = new LocalFolderStore(_folder.Path);
        _store = new EncryptedObjectStore(_raw, Settings);
    }

    protected override bool ListsPlainSizes => false;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task What_lands_in_the_backend_does_not_contain_the_plaintext()
    {
        var plain = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("customer-card-4111111111111111;", 100)));
        await _store.PutBytesAsync("x", plain);

        var stored = await _raw.GetBytesAsync("x");

        Assert.Equal(-1, stored.AsSpan().IndexOf("4111111111111111"u8));
        Assert.Equal(plain, await _store.GetBytesAsync("x"));
    }

    [Fact]
    public async Task A_wrong_key_is_a_clear_error_naming_the_object()
    {
        await _store.PutBytesAsync("db/x/object", new byte[5000]);
        var other = new EncryptedObjectStore(_raw, new EncryptionSettings(RandomNumberGenerator.GetBytes(32)));

        var error = await Assert.ThrowsAsync<CorruptObjectException>(() => other.GetBytesAsync("db/x/object"));

        Assert.Equal("db/x/object", error.Key);
        Assert.Contains("different key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Any_flipped_bit_is_detected_and_names_the_object()
    {
        await _store.PutBytesAsync("obj", ObjectStoreContract.RandomBytes(3000, 7));
        var original = await _raw.GetBytesAsync("obj");

        await Gen.Int[0, (original.Length * 8) - 1].SampleAsync(async bit =>
        {
            var raw = new LocalFolderStore(Path.Combine(_folder.Path, "flip", bit.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var damaged = (byte[])original.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            await raw.PutBytesAsync("obj", damaged);

            var error = await Assert.ThrowsAsync<CorruptObjectException>(() => new EncryptedObjectStore(raw, Settings).GetBytesAsync("obj"));
            Assert.Equal("obj", error.Key);
        }, iter: 100);
    }

    [Fact]
    public async Task Truncating_at_a_segment_boundary_is_detected()
    {
        await _store.PutBytesAsync("obj", ObjectStoreContract.RandomBytes(3000, 8));
        var stored = await _raw.GetBytesAsync("obj");
        await _raw.PutBytesAsync("obj", stored[..(28 + 1024 + 16)]);

        await Assert.ThrowsAsync<CorruptObjectException>(() => _store.GetBytesAsync("obj"));
    }

    [Fact]
    public async Task An_object_moved_under_another_name_does_not_decrypt()
    {
        await _store.PutBytesAsync("backups/a/manifest.json", new byte[100]);
        await _raw.PutBytesAsync("backups/b/manifest.json", await _raw.GetBytesAsync("backups/a/manifest.json"));

        await Assert.ThrowsAsync<CorruptObjectException>(() => _store.GetBytesAsync("backups/b/manifest.json"));
    }

    [Fact]
    public void A_key_that_is_not_256_bits_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new EncryptionSettings(new byte[16]));
    }

    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(new EncryptedObjectStore(new LocalFolderStore(Path.Combine(_folder.Path, Guid.NewGuid().ToString("N"))), Settings));
}
