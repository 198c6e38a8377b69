using Amazon.S3;
using Archiver.Storage.Backends;
using Archiver.Storage.Tests.Support;
using static Archiver.Storage.Tests.Support.FaultInjectingHandler.Fault;

namespace Archiver.Storage.Tests.Backends;

// Needs a server of its own (s3rver): run by .ci/run as the E2E step.
[Trait("Category", "E2E")]
[Collection(S3rverCollection.Name)]
public sealed class S3FaultTests(S3rverFixture s3rver) : IDisposable
{
    private FaultInjectingHandler? _handler;
    private S3ObjectStore? _store;

    public void Dispose()
    {
        _store?.Dispose();
        _handler?.Dispose();
    }

    [Fact]
    public async Task A_put_answered_with_500_then_503_is_retried_and_the_object_arrives_intact()
    {
        var store = await StoreFailingAsync(r => r.Method == HttpMethod.Put);
        _handler!.Enqueue(InternalError, ServiceUnavailable);
        var bytes = ObjectStoreContract.RandomBytes(50_000, seed: 4);

        await store.PutBytesAsync("retry/put", bytes);

        Assert.Equal(2, _handler.Injected);
        Assert.Equal(bytes, await store.GetBytesAsync("retry/put"));
    }

    [Fact]
    public async Task A_connection_reset_after_a_part_reached_the_server_loses_nothing()
    {
        var store = await StoreFailingAsync(r => r.Method == HttpMethod.Put && r.RequestUri!.Query.Contains("partNumber=2", StringComparison.Ordinal));
        _handler!.Enqueue(ResetAfterSend, ResetBeforeSend);
        var bytes = ObjectStoreContract.RandomBytes(11 * 1024 * 1024, seed: 5);

        await store.PutAsync("retry/multipart", new NonSeekableStream(new MemoryStream(bytes)));

        Assert.Equal(2, _handler.Injected);
        Assert.Equal(bytes, await store.GetBytesAsync("retry/multipart"));
    }

    [Fact]
    public async Task Gets_listings_and_deletes_are_retried_too()
    {
        var store = await StoreFailingAsync(r => r.Method == HttpMethod.Get || r.Method == HttpMethod.Delete);
        await store.PutBytesAsync("retry/read", new byte[] { 7 });
        _handler!.Enqueue(ServiceUnavailable, ResetBeforeSend, InternalError, ServiceUnavailable);

        Assert.Equal([7], await store.GetBytesAsync("retry/read"));
        Assert.Single((await store.ListAsync("retry/")).Objects);
        await store.DeleteAsync("retry/read");

        Assert.Equal(4, _handler.Injected);
        Assert.Empty((await store.ListAsync("retry/")).Objects);
    }

    [Fact]
    public async Task A_connection_dropped_in_the_middle_of_a_body_resumes_where_it_stopped()
    {
        var store = await StoreFailingAsync(r => r.Method == HttpMethod.Get && !r.RequestUri!.Query.Contains("list-type", StringComparison.Ordinal));
        var bytes = ObjectStoreContract.RandomBytes(3_000_000, seed: 6);
        await store.PutBytesAsync("retry/body", bytes);
        _handler!.Enqueue(BreakBodyMidway, BreakBodyMidway);

        var read = await store.GetBytesAsync("retry/body");

        Assert.Equal(2, _handler.Injected);
        Assert.Equal(bytes, read);
    }

    [Fact]
    public async Task Bytes_damaged_in_transit_are_caught_by_the_crc32c_the_object_was_written_with()
    {
        var store = await StoreFailingAsync(r => r.Method == HttpMethod.Get && !r.RequestUri!.Query.Contains("list-type", StringComparison.Ordinal));
        await store.PutBytesAsync("damaged", ObjectStoreContract.RandomBytes(300_000, seed: 7));
        _handler!.Enqueue(CorruptBody);

        var error = await Assert.ThrowsAsync<CorruptObjectException>(() => store.GetBytesAsync("damaged"));

        Assert.Equal("damaged", error.Key);
        Assert.Equal(1, _handler.Injected);
    }

    [Fact]
    public async Task A_permanent_error_is_not_retried()
    {
        var store = await StoreFailingAsync(r => r.Method == HttpMethod.Put);
        _handler!.Enqueue(Forbidden);
        var before = _handler.Requests;

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => store.PutBytesAsync("retry/denied", new byte[] { 1 }));

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal(1, _handler.Requests - before);
    }

    [Fact]
    public async Task Retries_give_up_after_the_configured_count_with_the_last_error()
    {
        var store = await StoreFailingAsync(r => r.Method == HttpMethod.Put);
        _handler!.Enqueue(Enumerable.Repeat(ServiceUnavailable, 10).ToArray());

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => store.PutBytesAsync("retry/never", new byte[] { 1 }));

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(5, _handler.Injected);
    }

    [Fact]
    public async Task A_conditional_put_whose_answer_was_lost_is_reported_as_done_and_another_writers_object_still_refuses_it()
    {
        // The server answers If-None-Match as AWS S3 does: the retry of a put that did land meets its own object.
        var store = await StoreFailingAsync(r => r.Method == HttpMethod.Put, enforceIfNoneMatch: true);
        _handler!.Enqueue(ResetAfterSend);
        var bytes = ObjectStoreContract.RandomBytes(40_000, seed: 8);

        var ours = await store.PutIfAbsentAsync("conditional/manifest", new MemoryStream(bytes));
        var theirs = await store.PutIfAbsentAsync("conditional/manifest", new MemoryStream([1, 2, 3]));

        Assert.True(ours, "the put landed: its retry met the object it had stored itself");
        Assert.False(theirs);
        Assert.Equal(1, _handler.Injected);
        Assert.Equal(bytes, await store.GetBytesAsync("conditional/manifest"));
    }

    private async Task<S3ObjectStore> StoreFailingAsync(Func<HttpRequestMessage, bool> applies, bool enforceIfNoneMatch = false)
    {
        var bucket = await s3rver.CreateBucketAsync();
        _handler = new FaultInjectingHandler(applies) { EnforceIfNoneMatch = enforceIfNoneMatch };
        _store = new S3ObjectStore(s3rver.Settings(bucket), new FixedHttpClientFactory(_handler));
        return _store;
    }
}
