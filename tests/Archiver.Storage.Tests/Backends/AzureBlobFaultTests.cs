using System.Web;
using Archiver.Storage.Backends;
using Archiver.Storage.Tests.Support;
using Azure;
using static Archiver.Storage.Tests.Support.ProxyFault;

namespace Archiver.Storage.Tests.Backends;

/// <summary>
/// What the Azure Blob store does when the service throttles, fails or resets it: Azurite cannot inject faults, so the
/// store talks to it through <see cref="FaultProxy"/>, and the blobs are checked by a second store that goes straight
/// to Azurite.
/// </summary>
// Needs a server of its own (Azurite): run by .ci/run as the E2E step.
[Trait("Category", "E2E")]
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobFaultTests(AzuriteFixture azurite) : IAsyncLifetime
{
    // One block or download window more than a whole one, so an upload is staged blocks and a read several windows.
    private const int Block = 8 * 1024 * 1024;
    private const int Window = 4 * 1024 * 1024;

    private FaultProxy _proxy = null!;
    private AzureBlobSettings _settings = null!;

    /// <summary>The store under test, through the proxy.</summary>
    private AzureBlobStore Store { get; set; } = null!;

    /// <summary>The same container straight from Azurite, to set up and check blobs without faults.</summary>
    private AzureBlobStore Direct { get; set; } = null!;

    public async Task InitializeAsync()
    {
        _proxy = new FaultProxy(azurite.ServiceUri);
        _settings = azurite.Settings(await azurite.CreateContainerAsync());
        Store = new AzureBlobStore(_settings with { ServiceUri = _proxy.Through(azurite.ServiceUri) });
        Direct = new AzureBlobStore(_settings);
    }

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task A_put_throttled_with_503_and_500_is_retried_and_arrives_intact()
    {
        _proxy.Fail(IsPut, ServerBusy, ServerBusy, InternalError);
        var bytes = ObjectStoreContract.RandomBytes(50_000, seed: 21);

        // Of a known length under a block, so one Put Blob (a stream of unknown length goes up as blocks, as below).
        await Store.PutBytesAsync("retry/put", bytes);

        Assert.Equal(3, _proxy.Injected);
        Assert.Equal(4, Requests("PUT"));
        Assert.DoesNotContain(_proxy.Log, l => l.Contains("comp=", StringComparison.Ordinal));
        Assert.Equal(bytes, await Direct.GetBytesAsync("retry/put"));
    }

    [Fact]
    public async Task Blocks_and_a_block_list_lost_before_or_after_reaching_the_service_are_sent_again_and_the_blob_is_whole()
    {
        _proxy.Fail(r => Comp(r) == "block", ResetAfterForwarding, ResetBeforeForwarding);
        _proxy.Fail(r => Comp(r) == "blocklist", ResetAfterForwarding);
        var bytes = ObjectStoreContract.RandomBytes(Block + 5, seed: 22);

        await Store.PutAsync("retry/blocks", new NonSeekableStream(new MemoryStream(bytes)));

        Assert.Equal(3, _proxy.Injected);
        Assert.Equal(bytes, await Direct.GetBytesAsync("retry/blocks"));
    }

    [Fact]
    public async Task A_conditional_put_over_an_existing_object_is_refused_at_once_and_changes_nothing()
    {
        // Theirs is a conditional write too, so it carries a write token of its own, which is not ours.
        Assert.True(await Direct.PutBytesIfAbsentAsync("claim", "theirs"u8.ToArray()));

        Assert.False(await Store.PutBytesIfAbsentAsync("claim", "mine"u8.ToArray()));

        // One refused Put Blob, not retried, and one look at whose blob it is.
        Assert.Equal(["PUT", "HEAD"], _proxy.Log.Select(l => l[..l.IndexOf(' ', StringComparison.Ordinal)]));
        Assert.Equal("theirs"u8.ToArray(), await Direct.GetBytesAsync("claim"));
    }

    [Fact]
    public async Task A_conditional_put_whose_answer_was_lost_still_reports_the_object_as_its_own()
    {
        // The service stores the blob (or commits the block list) and the answer never arrives; the client tries again.
        _proxy.Fail(IsPut, ResetAfterForwarding);
        _proxy.Fail(r => Comp(r) == "blocklist", ResetAfterForwarding);
        var big = ObjectStoreContract.RandomBytes(Block + 5, seed: 23);

        Assert.True(await Store.PutBytesIfAbsentAsync("claim", "mine"u8.ToArray()));
        Assert.True(await Store.PutIfAbsentAsync("claim-big", new NonSeekableStream(new MemoryStream(big))));

        Assert.Equal(2, _proxy.Injected);
        Assert.Equal("mine"u8.ToArray(), await Direct.GetBytesAsync("claim"));
        Assert.Equal(big, await Direct.GetBytesAsync("claim-big"));
    }

    [Fact]
    public async Task A_connection_reset_in_the_middle_of_a_download_resumes_where_it_stopped()
    {
        var bytes = ObjectStoreContract.RandomBytes((Window * 2) + 1000, seed: 24);
        await Direct.PutBytesAsync("retry/body", bytes);
        _proxy.CutAfterBytes = 1024 * 1024;
        _proxy.Fail(IsBlobGet, CutBody, CutBody);

        var read = await Store.GetBytesAsync("retry/body");

        Assert.Equal(bytes, read);
        Assert.Equal(2, _proxy.Injected);
        // The broken window is asked for again from the byte it stopped at, twice; the others once.
        Assert.Equal(
            ["bytes=0-4194303", "bytes=1048576-4194303", "bytes=2097152-4194303", "bytes=4194304-8388607", "bytes=8388608-12582911"],
            Ranges());
    }

    [Fact]
    public async Task Reads_listings_and_deletes_are_retried_too_and_a_delete_whose_answer_was_lost_is_done()
    {
        await Direct.PutBytesAsync("retry/read", new byte[] { 7 });
        _proxy.Fail(IsBlobGet, ServerBusy, ResetBeforeForwarding);
        _proxy.Fail(r => Comp(r) == "list", InternalError, ServerBusy);
        _proxy.Fail(r => r.Method == HttpMethod.Delete, ResetAfterForwarding);

        Assert.Equal([7], await Store.GetBytesAsync("retry/read"));
        Assert.Single((await Store.ListAsync("retry/")).Objects);
        await Store.DeleteAsync("retry/read");

        Assert.Equal(5, _proxy.Injected);
        Assert.Empty((await Direct.ListAsync(string.Empty)).Objects);
    }

    [Fact]
    public async Task A_permanent_refusal_is_not_retried()
    {
        _proxy.Fail(IsPut, Forbidden);

        var error = await Assert.ThrowsAsync<StorageException>(() => Store.PutBytesAsync("denied", new byte[] { 1 }));

        Assert.Equal(403, Assert.IsType<RequestFailedException>(error.InnerException).Status);
        Assert.Equal(1, Requests("PUT"));
    }

    [Fact]
    public async Task Retries_give_up_after_the_configured_count_with_the_last_error()
    {
        var attempts = _settings.Retry.MaxRetries + 1;
        _proxy.Fail(IsPut, Enumerable.Repeat(ServerBusy, attempts).ToArray());

        var error = await Assert.ThrowsAsync<StorageException>(() => Store.PutBytesAsync("never", new byte[] { 1 }));

        Assert.Contains("writing 'never' failed: 503 ServerBusy", error.Message, StringComparison.Ordinal);
        Assert.Equal(attempts, _proxy.Injected);
        Assert.Equal(attempts, Requests("PUT"));
        Assert.Empty((await Direct.ListAsync(string.Empty)).Objects);
    }

    [Fact]
    public async Task Connections_reset_on_every_try_give_up_with_a_storage_error_naming_the_last_failure()
    {
        var attempts = _settings.Retry.MaxRetries + 1;
        _proxy.Fail(IsPut, Enumerable.Repeat(ResetBeforeForwarding, attempts).ToArray());
        // .NET's own handler sends a request without a body again (up to 3 times) when its connection closes before any
        // answer, unseen by the client's retry policy: so the proxy sees up to 4 requests per try of a listing.
        _proxy.Fail(r => Comp(r) == "list", Enumerable.Repeat(ResetAfterForwarding, attempts * 4).ToArray());

        var write = await Assert.ThrowsAsync<StorageException>(() => Store.PutBytesAsync("never", new byte[] { 1 }));
        var list = await Assert.ThrowsAsync<StorageException>(() => Store.ListAsync("any/"));

        Assert.Contains($"writing 'never' failed: The response ended prematurely. (ResponseEnded) (gave up after {attempts} tries)", write.Message, StringComparison.Ordinal);
        Assert.Contains($"listing 'any/' failed: The response ended prematurely. (ResponseEnded) (gave up after {attempts} tries)", list.Message, StringComparison.Ordinal);
        Assert.Equal(attempts, Requests("PUT"));
        Assert.Equal(_proxy.Log.Count, _proxy.Injected);
    }

    [Fact]
    public async Task A_download_broken_off_more_often_than_the_client_resumes_fails_with_a_storage_error_naming_the_blob()
    {
        await Direct.PutBytesAsync("broken", ObjectStoreContract.RandomBytes(Window + 1, seed: 25));
        _proxy.CutAfterBytes = 1000;
        _proxy.Fail(IsBlobGet, Enumerable.Repeat(CutBody, 10).ToArray());

        var error = await Assert.ThrowsAsync<StorageException>(() => Store.GetBytesAsync("broken"));

        // The client resumes one response at most 5 times (its own budget, not RetrySettings'), each from where it stopped.
        Assert.Contains("reading 'broken' failed: The response ended prematurely", error.Message, StringComparison.Ordinal);
        Assert.Contains("(gave up after 6 tries)", error.Message, StringComparison.Ordinal);
        Assert.Equal(["bytes=0-4194303", "bytes=1000-4194303", "bytes=2000-4194303", "bytes=3000-4194303", "bytes=4000-4194303", "bytes=5000-4194303"], Ranges());
    }

    [Fact]
    public async Task An_object_replaced_while_it_is_read_fails_the_read_instead_of_splicing_two()
    {
        await Direct.PutBytesAsync("moving", ObjectStoreContract.RandomBytes(Window + 1, seed: 26));
        await using var stream = await Store.GetAsync("moving");
        await stream.ReadExactlyAsync(new byte[Window]);

        await Direct.PutBytesAsync("moving", new byte[] { 1, 2, 3 });

        var error = await Assert.ThrowsAsync<StorageException>(() => stream.ReadExactlyAsync(new byte[1]).AsTask());
        Assert.Contains("'moving' was replaced", error.Message, StringComparison.Ordinal);
        Assert.Equal(412, Assert.IsType<RequestFailedException>(error.InnerException).Status);
    }

    private static bool IsPut(HttpRequestMessage request) => request.Method == HttpMethod.Put;

    private static bool IsBlobGet(HttpRequestMessage request) => request.Method == HttpMethod.Get && Comp(request) is null;

    private static string? Comp(HttpRequestMessage request) => HttpUtility.ParseQueryString(request.RequestUri!.Query)["comp"];

    private List<string> Ranges() =>
        [.. _proxy.Log.Where(l => l.StartsWith("GET ", StringComparison.Ordinal) && l.Contains(" bytes=", StringComparison.Ordinal)).Select(l => l[(l.LastIndexOf(' ') + 1)..])];

    private int Requests(string method) => _proxy.Log.Count(l => l.StartsWith(method + " ", StringComparison.Ordinal));
}
