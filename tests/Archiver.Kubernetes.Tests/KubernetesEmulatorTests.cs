using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Archiver.Emulators.Kubernetes;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// The emulator's wire behaviour that the adapter does not exercise by itself: label selectors, the watch's
/// opening ADDED events, bookmarks, the 410 ERROR event, the 422 on an unconditional custom resource update and the 409
/// on a uid precondition.
/// Always against its own emulator, whatever ARCHIVER_TEST_KUBECONFIG says.
/// </summary>
public sealed class KubernetesEmulatorTests : IAsyncLifetime
{
    private const string Collection = "/apis/archiver.kubedb.com/v1alpha1/namespaces/demo/mongodbarchivers";
    private KubernetesEmulator _api = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { Namespaces = ["demo"], BookmarkInterval = TimeSpan.FromMilliseconds(100) });
        _http = new HttpClient { BaseAddress = _api.Url };
    }

    [Fact]
    public async Task A_list_keeps_the_objects_its_label_selector_matches()
    {
        await CreateAsync("a", new() { ["tier"] = "gold", ["team"] = "db" });
        await CreateAsync("b", new() { ["tier"] = "silver" });
        await CreateAsync("c", []);

        Assert.Equal(["a"], await NamesAsync("tier=gold,team"));
        Assert.Equal(["a", "b"], await NamesAsync("tier in (gold,silver)"));
        Assert.Equal(["b", "c"], await NamesAsync("tier!=gold"));
        Assert.Equal(["c"], await NamesAsync("!tier"));
    }

    [Fact]
    public async Task A_watch_without_a_version_opens_with_the_current_objects_then_bookmarks()
    {
        await CreateAsync("a", []);

        var lines = await WatchLinesAsync("?watch=true&allowWatchBookmarks=true&timeoutSeconds=1");

        Assert.Equal("ADDED", lines[0]["type"]!.GetValue<string>());
        Assert.Equal("a", lines[0]["object"]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Contains(lines, l => l["type"]!.GetValue<string>() == "BOOKMARK");
    }

    [Fact]
    public async Task A_watch_from_a_compacted_version_gets_a_410_error_event()
    {
        await CreateAsync("a", []);
        _api.CompactHistory();
        await CreateAsync("b", []);

        var lines = await WatchLinesAsync("?watch=true&resourceVersion=1&timeoutSeconds=1");

        var error = Assert.Single(lines);
        Assert.Equal("ERROR", error["type"]!.GetValue<string>());
        Assert.Equal(410, error["object"]!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_secrets_stringData_is_stored_as_data_and_a_null_field_is_no_field()
    {
        var post = await _http.PostAsJsonAsync("/api/v1/namespaces/demo/secrets", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "s", ["labels"] = null },
            ["data"] = new JsonObject { ["a"] = "b2xk", ["b"] = "a2VwdA==" },
            ["stringData"] = new JsonObject { ["a"] = "new" },
        });
        post.EnsureSuccessStatusCode();

        var stored = (await _http.GetFromJsonAsync<JsonObject>("/api/v1/namespaces/demo/secrets/s"))!;

        Assert.Null(stored["stringData"]);
        Assert.Equal("bmV3", stored["data"]!["a"]!.GetValue<string>());
        Assert.Equal("a2VwdA==", stored["data"]!["b"]!.GetValue<string>());
        Assert.Equal("Opaque", stored["type"]!.GetValue<string>());
        Assert.False(stored["metadata"]!.AsObject().ContainsKey("labels"));
    }

    [Fact]
    public async Task An_unconditional_put_of_a_custom_resource_is_refused()
    {
        await CreateAsync("a", []);

        var put = await _http.PutAsJsonAsync($"{Collection}/a", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "a" }, ["spec"] = new JsonObject() });

        Assert.Equal((HttpStatusCode)422, put.StatusCode);
        var status = (await put.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Invalid", status["reason"]!.GetValue<string>());
        Assert.Equal(
            "mongodbarchivers.archiver.kubedb.com \"a\" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update",
            status["message"]!.GetValue<string>());
        Assert.Equal("mongodbarchivers", status["details"]!["kind"]!.GetValue<string>());
        Assert.Equal("FieldValueInvalid", status["details"]!["causes"]![0]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_put_naming_another_objects_uid_is_a_conflict_even_on_the_current_version()
    {
        await CreateAsync("a", []);
        var current = (await _http.GetFromJsonAsync<JsonObject>($"{Collection}/a"))!;
        current["metadata"]!["uid"] = "the-one-deleted-before";

        var put = await _http.PutAsJsonAsync($"{Collection}/a", current);

        Assert.Equal(HttpStatusCode.Conflict, put.StatusCode);
        var message = (await put.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>();
        Assert.StartsWith("Operation cannot be fulfilled on mongodbarchivers.archiver.kubedb.com \"a\": StorageError: invalid object", message, StringComparison.Ordinal);
        Assert.Contains("Precondition failed: UID in precondition: the-one-deleted-before, UID in object meta: ", message, StringComparison.Ordinal);
    }

    private async Task CreateAsync(string name, Dictionary<string, string> labels)
    {
        var labelNode = new JsonObject();
        foreach (var (key, value) in labels) labelNode[key] = value;
        var created = await _http.PostAsJsonAsync(Collection, new JsonObject
        {
            ["apiVersion"] = "archiver.kubedb.com/v1alpha1",
            ["kind"] = "MongoDBArchiver",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labelNode },
            ["spec"] = new JsonObject(),
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    private async Task<List<string>> NamesAsync(string selector)
    {
        var list = await _http.GetFromJsonAsync<JsonObject>($"{Collection}?labelSelector={Uri.EscapeDataString(selector)}");
        return [.. list!["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>())];
    }

    private async Task<List<JsonObject>> WatchLinesAsync(string query)
    {
        var text = await _http.GetStringAsync(Collection + query);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())];
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _api.DisposeAsync();
    }
}
