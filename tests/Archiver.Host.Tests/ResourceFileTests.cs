using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Host.Node;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Microsoft.Extensions.Logging.Abstractions;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Tests;

/// <summary>
/// The embedded node's resource files: every change the store or the workloads acknowledged is there for the next
/// start, though the node was abandoned without stopping (as a kill leaves it: no shutdown save), a kill cut its
/// last line short, or it was killed in the middle of a compaction.
/// </summary>
public sealed class ResourceFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-resource-file-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Every_acknowledged_change_is_back_after_the_node_was_abandoned_without_stopping()
    {
        var first = await StartAsync();
        await first.Store.CreateAsync(Policy("kept"));
        await first.Store.CreateAsync(Policy("deleted"));
        var respec = await first.Store.CreateAsync(Policy("respecified"));
        await first.Store.ReplaceAsync(respec with { Spec = new RetentionPolicySpec { MaxRetentionPeriod = "30d" } });
        var db = await first.Store.CreateAsync(Database("mg-rs"));
        await first.Store.ReplaceStatusAsync(db with { Status = new MongoDBStatus { Archiver = new DatabaseArchiverStatus { Phase = DatabaseArchiverPhase.Archiving } } });
        Assert.True(await first.Store.DeleteAsync<RetentionPolicy>(new ResourceId("demo", "deleted")));
        // A finalizer holds the first (marked for deletion); the second goes once its finalizer is removed.
        await first.Store.CreateAsync(Policy("held", finalizer: "example.com/hold"));
        Assert.True(await first.Store.DeleteAsync<RetentionPolicy>(new ResourceId("demo", "held")));
        await first.Store.CreateAsync(Policy("released", finalizer: "example.com/hold"));
        await first.Store.DeleteAsync<RetentionPolicy>(new ResourceId("demo", "released"));
        var released = (await first.Store.GetAsync<RetentionPolicy>(new ResourceId("demo", "released")))!;
        released.Metadata.Finalizers = [];
        await first.Store.ReplaceAsync(released);
        first.Store.SetNamespace("team-a", new Dictionary<string, string> { ["owner"] = "ops" });
        var on = new ResourceId("demo", "mg-rs");
        var off = new ResourceId("demo", "mg-old");
        await first.Workloads.EnsureArchivingAsync(on, Archiving("h1"));
        await first.Workloads.EnsureArchivingAsync(off, Archiving("h1"));
        await first.Workloads.EnsureArchivingAsync(on, Archiving("h2"));
        await first.Workloads.StopArchivingAsync(off);
        var before = State(first);
        // The snapshot is the one written at start: only the log can bring these back.
        Assert.DoesNotContain("kept", await File.ReadAllTextAsync(first.File.Path), StringComparison.Ordinal);

        // Abandoned: no StopAsync, so no compaction or save of any kind runs.
        var second = await StartAsync();

        Assert.Equal(before, State(second));
        Assert.NotNull(await second.Store.GetAsync<RetentionPolicy>(new ResourceId("demo", "kept")));
        Assert.Null(await second.Store.GetAsync<RetentionPolicy>(new ResourceId("demo", "deleted")));
        Assert.Null(await second.Store.GetAsync<RetentionPolicy>(new ResourceId("demo", "released")));
        Assert.NotNull((await second.Store.GetAsync<RetentionPolicy>(new ResourceId("demo", "held")))!.Metadata.DeletionTimestamp);
        var respecified = (await second.Store.GetAsync<RetentionPolicy>(new ResourceId("demo", "respecified")))!;
        Assert.Equal(("30d", 2L), (respecified.Spec!.MaxRetentionPeriod, respecified.Metadata.Generation!.Value));
        Assert.Equal(DatabaseArchiverPhase.Archiving, (await second.Store.GetAsync<MongoDBResource>(on))!.Status!.Archiver!.Phase);
        Assert.Equal("ops", (await second.Store.ListNamespacesAsync()).Single(n => n.Name == "team-a").Labels["owner"]);
        Assert.Equal([KeyValuePair.Create(on, Archiving("h2"))], second.Workloads.Archiving);
        // Start compacted the two: all in the snapshot, the log empty.
        Assert.Contains("kept", await File.ReadAllTextAsync(second.File.Path), StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(second.File.LogPath).Length);
    }

    [Fact]
    public async Task Versions_after_a_restart_are_above_every_loaded_one()
    {
        var first = await StartAsync();
        for (var i = 0; i < 5; i++) await first.Store.CreateAsync(Policy($"p{i}"));
        var second = await StartAsync();
        var loaded = (await second.Store.ListAsync<RetentionPolicy>()).Max(p => long.Parse(p.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture));

        var written = await second.Store.CreateAsync(Policy("after"));

        Assert.True(long.Parse(written.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > loaded);
    }

    [Fact]
    public async Task A_last_line_cut_short_by_a_kill_is_skipped_and_the_log_goes_on_after_it()
    {
        var first = await StartAsync();
        await first.Store.CreateAsync(Policy("a"));
        await first.Store.CreateAsync(Policy("b"));
        await first.Store.CreateAsync(Policy("cut"));
        // What a kill in the middle of the last write leaves: that line without its end.
        var bytes = await File.ReadAllBytesAsync(first.File.LogPath);
        await File.WriteAllBytesAsync(first.File.LogPath, bytes[..^20]);

        var second = await StartAsync();
        Assert.Equal(["a", "b"], await NamesAsync(second));
        await second.Store.CreateAsync(Policy("c"));

        var third = await StartAsync();
        Assert.Equal(["a", "b", "c"], await NamesAsync(third));
    }

    [Fact]
    public async Task A_damaged_line_before_the_end_stops_the_start_rather_than_being_skipped()
    {
        var first = await StartAsync();
        await first.Store.CreateAsync(Policy("a"));
        var lines = await File.ReadAllTextAsync(first.File.LogPath);
        await File.WriteAllTextAsync(first.File.LogPath, "{\"op\":\"put\",\"kind\"\n" + lines);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => StartAsync());
        Assert.Contains("line 1", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> KillPoints => new()
    {
        "after the log was moved aside",
        "after the snapshot was written, before the moved log was deleted",
        "after a compaction failed and left the moved log behind, and the next one ran",
    };

    [Theory]
    [MemberData(nameof(KillPoints))]
    public async Task A_node_killed_in_the_middle_of_a_compaction_loses_nothing(string killed)
    {
        var first = await StartAsync();
        await first.Store.CreateAsync(Policy("a"));
        var b = await first.Store.CreateAsync(Policy("b"));
        await first.Store.CreateAsync(Policy("c"));
        await first.Workloads.EnsureArchivingAsync(new ResourceId("demo", "mg-rs"), Archiving("h1"));
        switch (killed)
        {
            case "after the log was moved aside":
                first.Changes.Rotate(first.File.CompactingLogPath);
                break;
            case "after the snapshot was written, before the moved log was deleted":
                var moved = await File.ReadAllBytesAsync(first.File.LogPath);
                first.File.Compact();
                await File.WriteAllBytesAsync(first.File.CompactingLogPath, moved);
                break;
            default:
                first.Changes.Rotate(first.File.CompactingLogPath);
                await first.Store.CreateAsync(Policy("between"));
                first.File.Compact();
                Assert.False(File.Exists(first.File.CompactingLogPath));
                break;
        }

        // Changes after that point, in the new log, over what the snapshot or the moved log hold.
        Assert.True(await first.Store.DeleteAsync<RetentionPolicy>(new ResourceId("demo", "a")));
        await first.Store.ReplaceAsync(b with { Spec = new RetentionPolicySpec { MaxRetentionPeriod = "1d" } });
        await first.Store.CreateAsync(Policy("d"));
        await first.Workloads.StopArchivingAsync(new ResourceId("demo", "mg-rs"));
        var before = State(first);

        var second = await StartAsync();

        Assert.Equal(before, State(second));
        Assert.DoesNotContain("a", await NamesAsync(second));
        Assert.Equal("1d", (await second.Store.GetAsync<RetentionPolicy>(new ResourceId("demo", "b")))!.Spec!.MaxRetentionPeriod);
        Assert.Empty(second.Workloads.Archiving);
        Assert.False(File.Exists(second.File.CompactingLogPath));
    }

    [Fact]
    public async Task Compactions_while_changes_go_on_keep_every_acknowledged_change()
    {
        const int Writers = 4;
        const int Changes = 150;
        var first = await StartAsync();
        var compacting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var writing = new CancellationTokenSource();
        var compactor = Task.Run(() =>
        {
            compacting.SetResult();
            while (!writing.IsCancellationRequested)
            {
                first.File.Compact();
            }
        });
        // Writers start once compactions are running, and those go on until every writer is done.
        await compacting.Task;
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < Changes; i++)
            {
                var policy = await first.Store.CreateAsync(Policy($"w{w}-{i}"));
                if (i % 3 == 0) await first.Store.DeleteAsync<RetentionPolicy>(ResourceId.Of(policy));
                else if (i % 3 == 1) await first.Store.ReplaceAsync(policy with { Spec = new RetentionPolicySpec { MaxRetentionPeriod = $"{i}d" } });
                await first.Workloads.EnsureArchivingAsync(new ResourceId("demo", $"db-{w}"), Archiving($"h{i}"));
            }
        })).ToArray();
        await Task.WhenAll(writers);
        await writing.CancelAsync();
        await compactor;
        var before = State(first);

        var second = await StartAsync();

        Assert.Equal(before, State(second));
        Assert.Equal(Writers * Enumerable.Range(0, Changes).Count(i => i % 3 != 0), (await second.Store.ListAsync<RetentionPolicy>()).Count);
    }

    [Fact]
    public async Task The_log_is_folded_into_the_snapshot_once_it_passes_its_size()
    {
        var options = new ResourceFileOptions { CompactAtBytes = 16 * 1024 };
        var first = await StartAsync(options);
        var i = 0;
        while (first.Changes.Length < options.CompactAtBytes)
        {
            await first.Store.CreateAsync(Policy($"p{i++}", annotation: new string('x', 500)));
        }

        // The compaction runs in the background: wait for the snapshot to hold the last change.
        var last = $"\"p{i - 1}\"";
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(await File.ReadAllTextAsync(first.File.Path)).Contains(last, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "no compaction within 10 s");
            await Task.Delay(20);
        }

        Assert.True(first.Changes.Length < options.CompactAtBytes, $"the log still holds {first.Changes.Length} bytes");
        var before = State(first);
        var second = await StartAsync(options);
        Assert.Equal(before, State(second));
    }

    [Fact]
    public async Task A_change_after_shutdown_is_refused_not_acknowledged_and_lost()
    {
        var node = await StartAsync();
        await node.Store.CreateAsync(Policy("before"));
        await node.File.StopAsync(CancellationToken.None);

        await Assert.ThrowsAsync<IOException>(() => node.Store.CreateAsync(Policy("after")));
        await Assert.ThrowsAsync<IOException>(() => node.Workloads.EnsureArchivingAsync(new ResourceId("demo", "mg-rs"), Archiving("h1")));

        Assert.Null(await node.Store.GetAsync<RetentionPolicy>(new ResourceId("demo", "after")));
        Assert.Empty(node.Workloads.Archiving);
        // Shutdown compacted: the snapshot has everything, the log nothing.
        Assert.Contains("before", await File.ReadAllTextAsync(node.File.Path), StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(node.File.LogPath).Length);
    }

    private async Task<Node> StartAsync(ResourceFileOptions? options = null)
    {
        var changes = new ResourceChangeLog(options ?? new ResourceFileOptions());
        var store = new InMemoryResourceStore(TimeProvider.System, changes);
        var workloads = new InProcessWorkloads(changes);
        var file = new ResourceFile(store, workloads, changes, new NodeSettings { DataFolder = _folder }, NullLogger<ResourceFile>.Instance);
        await file.StartAsync(CancellationToken.None);
        return new Node(store, workloads, changes, file);
    }

    /// <summary>Everything a node holds, but resourceVersions (a start numbers them anew, above all it loads).</summary>
    private static List<string> State(Node node)
    {
        var (resources, namespaces) = node.Store.Export();
        return
        [
            .. resources.Select(r =>
            {
                var json = ManifestWriter.ToJsonNode(r);
                json["metadata"]!.AsObject().Remove("resourceVersion");
                return json.ToJsonString();
            }),
            .. namespaces.Select(n => $"namespace {n.Name} {string.Join(',', n.Labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))}"),
            .. node.Workloads.Archiving.OrderBy(a => a.Key).Select(a => $"archiving {a.Key} {a.Value}"),
        ];
    }

    private static async Task<List<string>> NamesAsync(Node node) =>
        [.. (await node.Store.ListAsync<RetentionPolicy>()).Select(p => p.Metadata.Name).Order(StringComparer.Ordinal)];

    private static RetentionPolicy Policy(string name, string? finalizer = null, string annotation = "") => Read<RetentionPolicy>($$"""
        apiVersion: storage.kubestash.com/v1alpha1
        kind: RetentionPolicy
        metadata:
          name: {{name}}
          namespace: demo
          annotations: {note: "{{annotation}}"}
          {{(finalizer is null ? "" : $"finalizers: [{finalizer}]")}}
        spec:
          maxRetentionPeriod: 7d
        """);

    private static MongoDBResource Database(string name) => Read<MongoDBResource>($$"""
        apiVersion: kubedb.com/v1alpha2
        kind: MongoDB
        metadata: {name: {{name}}, namespace: demo}
        spec: {version: "6.0.12", replicas: 3}
        """);

    private static ArchivingSpec Archiving(string hash) => new(new ResourceId("demo", "local-storage"), "db/MongoDB/demo/mg-rs", hash, TimeSpan.FromSeconds(1), 16 * 1024 * 1024);

    private static T Read<T>(string yaml)
        where T : Resource
    {
        var result = ManifestReader.Read(yaml);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return (T)result.Resources[0];
    }

    private sealed record Node(InMemoryResourceStore Store, InProcessWorkloads Workloads, ResourceChangeLog Changes, ResourceFile File);
}
