using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Archiver.Emulators.Gcs;
using Archiver.Storage.Backends;
using Archiver.Storage.Tests.Support;
using Google;
using static Archiver.Emulators.Gcs.GcsFault;

namespace Archiver.Storage.Tests.Backends;

/// <summary>What the GCS store does when the service throttles, fails, resets or races it, on the stand-in's fault hooks.</summary>
[Collection(GcsCollection.Name)]
public sealed class GcsFaultTests(GcsTarget gcs) : IDisposable
{
    // Four chunks of the smallest size GCS allows (GcsTarget), and three read windows.
    private static readonly int Chunk = GcsSettings.ChunkGranularity * 4;
    private readonly List<GcsObjectStore> _stores = [];

    private GcsEmulator StandIn => gcs.StandIn;

    public void Dispose() => _stores.ForEach(s => s.Dispose());

    [GcsStandInFact]
    public async Task A_put_throttled_with_503_and_429_is_retried_and_arrives_intact()
    {
        var (store, _) = NewStore();
        StandIn.Fail(GcsOperation.StartUpload, ServiceUnavailable);
        StandIn.Fail(GcsOperation.UploadChunk, TooManyRequests, InternalError);
        var bytes = ObjectStoreContract.RandomBytes((Chunk * 2) + 5, seed: 11);
        var injected = StandIn.Injected;

        await store.PutAsync("retry/put", new NonSeekableStream(new MemoryStream(bytes)));

        Assert.Equal(3, StandIn.Injected - injected);
        Assert.Equal(bytes, await store.GetBytesAsync("retry/put"));
    }

    [GcsStandInFact]
    public async Task Chunks_lost_before_or_after_reaching_GCS_are_resumed_in_the_one_session()
    {
        var (store, settings) = NewStore();
        var starts = StandIn.Requests(GcsOperation.StartUpload);
        var open = StandIn.OpenUploadSessions;
        StandIn.Fail(GcsOperation.UploadChunk, ResetAfterHandling, ResetBeforeHandling);
        var bytes = ObjectStoreContract.RandomBytes((Chunk * 3) + 1, seed: 12);

        await store.PutAsync("retry/chunks", new NonSeekableStream(new MemoryStream(bytes)));

        Assert.Equal(bytes, StandIn.ReadObject(settings.Bucket, "retry/chunks"));
        Assert.Equal(1, StandIn.Requests(GcsOperation.StartUpload) - starts);
        Assert.Equal(open, StandIn.OpenUploadSessions);
    }

    [GcsStandInFact]
    public async Task A_conditional_put_whose_last_answer_was_lost_still_reports_the_object_as_its_own()
    {
        var (store, settings) = NewStore();
        StandIn.Fail(GcsOperation.UploadChunk, ResetAfterHandling);

        Assert.True(await store.PutBytesIfAbsentAsync("claim", "mine"u8.ToArray()));

        Assert.Equal("mine"u8.ToArray(), StandIn.ReadObject(settings.Bucket, "claim"));
    }

    [GcsStandInFact]
    public async Task A_conditional_put_over_an_existing_object_is_refused_at_the_session_start_and_changes_nothing()
    {
        var (store, settings) = NewStore();
        StandIn.WriteObject(settings.Bucket, "claim", "theirs"u8.ToArray());
        var chunks = StandIn.Requests(GcsOperation.UploadChunk);

        Assert.False(await store.PutBytesIfAbsentAsync("claim", "mine"u8.ToArray()));

        Assert.Equal(chunks, StandIn.Requests(GcsOperation.UploadChunk));
        Assert.Equal("theirs"u8.ToArray(), StandIn.ReadObject(settings.Bucket, "claim"));
    }

    [GcsStandInFact]
    public async Task A_conditional_put_overtaken_by_another_writer_mid_upload_is_refused_and_theirs_stays()
    {
        var (store, settings) = NewStore();
        var bytes = ObjectStoreContract.RandomBytes((Chunk * 2) + 3, seed: 13);
        // The other writer publishes once the first chunk has been read, i.e. after our session started.
        var source = new CallbackStream(bytes, Chunk, () => StandIn.WriteObject(settings.Bucket, "race", "theirs"u8.ToArray()));

        Assert.False(await store.PutIfAbsentAsync("race", source));

        Assert.Equal("theirs"u8.ToArray(), StandIn.ReadObject(settings.Bucket, "race"));
    }

    [GcsStandInFact]
    public async Task A_connection_dropped_in_the_middle_of_a_body_is_taken_up_at_the_byte_it_reached_pinned_to_its_generation()
    {
        var (store, settings) = NewStore();
        var bytes = ObjectStoreContract.RandomBytes((Chunk * 2) + 100, seed: 14);
        StandIn.WriteObject(settings.Bucket, "retry/body", bytes);
        StandIn.Fail(GcsOperation.GetMedia, BreakBodyMidway, BreakBodyMidway);
        var log = StandIn.RequestLog.Count;

        var read = await store.GetBytesAsync("retry/body");

        Assert.Equal(bytes, read);
        var media = StandIn.RequestLog.Skip(log).Where(l => l.Contains("alt=media", StringComparison.Ordinal)).ToList();
        // One GET of the whole object, then one ranged GET per break, each from the byte the last one reached (the stand-in
        // breaks a body half way), pinned to the generation the first one answered.
        Assert.Equal(3, media.Count);
        Assert.DoesNotContain("Range:", media[0], StringComparison.Ordinal);
        // A reset may discard bytes the stand-in sent before it, so a break reaches the reader at or before half way.
        var starts = media.Skip(1).Select(l => long.Parse(System.Text.RegularExpressions.Regex.Match(l, @"Range: bytes=(\d+)-$").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.InRange(starts[0], 0, bytes.Length / 2);
        Assert.InRange(starts[1], starts[0], starts[0] + ((bytes.Length - starts[0]) / 2));
        Assert.All(media.Skip(1), l => Assert.Contains("ifGenerationMatch=", l, StringComparison.Ordinal));
    }

    [GcsStandInFact]
    public async Task Reads_listings_and_deletes_are_retried_too_and_a_delete_whose_answer_was_lost_is_done()
    {
        var (store, settings) = NewStore();
        StandIn.WriteObject(settings.Bucket, "retry/read", [7]);
        StandIn.Fail(GcsOperation.GetMedia, ServiceUnavailable, ResetBeforeHandling);
        StandIn.Fail(GcsOperation.List, TooManyRequests, InternalError);
        StandIn.Fail(GcsOperation.Delete, ResetAfterHandling);
        var injected = StandIn.Injected;

        Assert.Equal([7], await store.GetBytesAsync("retry/read"));
        Assert.Single((await store.ListAsync("retry/")).Objects);
        await store.DeleteAsync("retry/read");

        Assert.Equal(5, StandIn.Injected - injected);
        Assert.Empty(StandIn.ObjectNames(settings.Bucket));
    }

    [GcsStandInFact]
    public async Task An_object_replaced_while_it_is_read_fails_the_read_instead_of_splicing_two()
    {
        var (store, settings) = NewStore();
        var first = ObjectStoreContract.RandomBytes((Chunk * 2) + 1, seed: 15);
        StandIn.WriteObject(settings.Bucket, "moving", first);
        StandIn.Fail(GcsOperation.GetMedia, BreakBodyMidway);
        await using var stream = await store.GetAsync("moving");

        // Replaced once the old body is on its way (where the break reaches the reader depends on what the reset
        // discards), so the break is met after the replacement: taking the body up from the new object would splice two,
        // and the GET pinned to the old generation is refused.
        StandIn.WriteObject(settings.Bucket, "moving", [1, 2, 3]);

        var error = await Assert.ThrowsAsync<StorageException>(() => stream.CopyToAsync(Stream.Null));
        Assert.Contains("replaced", error.Message, StringComparison.Ordinal);
    }

    [GcsStandInFact]
    public async Task An_object_replaced_while_its_unbroken_body_is_read_is_read_as_it_was_when_opened()
    {
        var (store, settings) = NewStore();
        var first = ObjectStoreContract.RandomBytes((Chunk * 2) + 1, seed: 17);
        StandIn.WriteObject(settings.Bucket, "moving", first);
        await using var stream = await store.GetAsync("moving");
        var start = new byte[Chunk];
        await stream.ReadExactlyAsync(start);

        StandIn.WriteObject(settings.Bucket, "moving", [1, 2, 3]);
        using var rest = new MemoryStream();
        await stream.CopyToAsync(rest);

        Assert.Equal(first, start.Concat(rest.ToArray()));
    }

    [GcsStandInFact]
    public async Task Bytes_damaged_in_transit_are_caught_by_the_whole_objects_crc32c_and_name_it()
    {
        var (store, settings) = NewStore();
        StandIn.WriteObject(settings.Bucket, "damaged", ObjectStoreContract.RandomBytes(5000, seed: 16));
        StandIn.Fail(GcsOperation.GetMedia, CorruptBody);

        var error = await Assert.ThrowsAsync<CorruptObjectException>(() => store.GetBytesAsync("damaged"));

        Assert.Equal("damaged", error.Key);
    }

    [GcsStandInFact]
    public async Task An_upload_damaged_in_transit_from_memory_is_refused_by_the_crc32c_it_declared_and_never_exists()
    {
        var (store, settings) = NewStore();
        StandIn.Fail(GcsOperation.UploadChunk, CorruptBody);

        var error = await Assert.ThrowsAsync<StorageException>(() => store.PutBytesIfAbsentAsync("sent/memory", ObjectStoreContract.RandomBytes(Chunk + 7, seed: 18)));

        Assert.Contains("400", error.Message, StringComparison.Ordinal);
        Assert.Null(StandIn.ReadObject(settings.Bucket, "sent/memory"));
    }

    [GcsStandInFact]
    public async Task A_streamed_upload_damaged_in_transit_is_caught_by_its_crc32c_and_the_damaged_generation_removed()
    {
        var (store, settings) = NewStore();
        StandIn.Fail(GcsOperation.UploadChunk, CorruptBody);
        var bytes = ObjectStoreContract.RandomBytes((Chunk * 2) + 3, seed: 19);

        var error = await Assert.ThrowsAsync<CorruptObjectException>(() => store.PutIfAbsentAsync("sent/stream", new NonSeekableStream(new MemoryStream(bytes))));

        Assert.Equal("sent/stream", error.Key);
        Assert.Null(StandIn.ReadObject(settings.Bucket, "sent/stream"));
        Assert.True(await store.PutIfAbsentAsync("sent/stream", new NonSeekableStream(new MemoryStream(bytes))));
        Assert.Equal(bytes, await store.GetBytesAsync("sent/stream"));
    }

    [GcsStandInFact]
    public async Task A_key_the_service_does_not_know_is_refused_once_not_retried()
    {
        var (_, settings) = NewStore();
        var stranger = Open(settings with { ServiceAccountJson = ForeignKey() });
        var starts = StandIn.Requests(GcsOperation.StartUpload);

        var error = await Assert.ThrowsAsync<StorageException>(() => stranger.PutBytesAsync("denied", new byte[] { 1 }));

        Assert.Equal(HttpStatusCode.Unauthorized, Assert.IsType<GoogleApiException>(error.InnerException).HttpStatusCode);
        Assert.Equal(1, StandIn.Requests(GcsOperation.StartUpload) - starts);
    }

    [GcsStandInFact]
    public async Task Retries_give_up_after_the_configured_count_with_the_last_error()
    {
        var (store, settings) = NewStore();
        StandIn.WriteObject(settings.Bucket, "never", [1]);
        StandIn.Fail(GcsOperation.GetMedia, Enumerable.Repeat(ServiceUnavailable, settings.Retry.MaxRetries + 1).ToArray());
        var injected = StandIn.Injected;

        var error = await Assert.ThrowsAsync<StorageException>(() => store.GetAsync("never"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, Assert.IsType<GoogleApiException>(error.InnerException).HttpStatusCode);
        Assert.Equal(settings.Retry.MaxRetries + 1, StandIn.Injected - injected);
        Assert.Equal([1], await store.GetBytesAsync("never"));
    }

    private (GcsObjectStore Store, GcsSettings Settings) NewStore()
    {
        var settings = gcs.NewStandInStore();
        return (Open(settings), settings);
    }

    private GcsObjectStore Open(GcsSettings settings)
    {
        var store = new GcsObjectStore(settings);
        _stores.Add(store);
        return store;
    }

    /// <summary>A well-formed service account key the stand-in never issued.</summary>
    private static string ForeignKey()
    {
        using var rsa = RSA.Create(2048);
        return new JsonObject
        {
            ["type"] = "service_account",
            ["private_key_id"] = "0123456789abcdef",
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = "stranger@elsewhere.iam.gserviceaccount.com",
            ["client_id"] = "1",
            ["token_uri"] = "http://127.0.0.1:9/token",
        }.ToJsonString();
    }

    /// <summary>A forward-only source that runs an action once a given number of its bytes have been read.</summary>
    private sealed class CallbackStream(byte[] bytes, int after, Action action) : Stream
    {
        private readonly MemoryStream _inner = new(bytes, writable: false);
        private bool _done;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (!_done && _inner.Position >= after)
            {
                _done = true;
                action();
            }

            return _inner.Read(buffer, offset, count);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
