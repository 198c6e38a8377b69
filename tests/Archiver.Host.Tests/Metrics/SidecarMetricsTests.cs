using System.Text.RegularExpressions;
using Archiver.Emulators.MongoDb;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Host.Tests.Metrics;

/// <summary><c>archiver sidecar --metrics-port</c>: /metrics of the archiving sidecar, where its chunks are uploaded.</summary>
public sealed partial class SidecarMetricsTests
{
    [Fact]
    public async Task The_sidecar_exports_its_chunk_uploads_lag_and_newest_archived_entry_labelled_by_its_database()
    {
        await using var mongo = await MongoEmulator.StartAsync(new MongoEmulatorOptions());
        var folder = Directory.CreateTempSubdirectory("archiver-sidecar-metrics-").FullName;
        var uriFile = Path.Combine(folder, "uri");
        await File.WriteAllTextAsync(uriFile, mongo.ConnectionString);
        var client = new MongoClient(mongo.ConnectionString);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            var sidecar = RunningCli.Start(stop.Token, "sidecar", "--mongodb-uri-file", uriFile, "--storage-folder", Path.Combine(folder, "repo"), "--prefix", "db/MongoDB/demo/mg-rs",
                "--database-uid", "uid-1", "--database", "mg-rs", "--status-interval", "1", "--metrics-port", "0");
            var address = await MetricsAddressAsync(sidecar, stop.Token);
            await client.GetDatabase("shop").GetCollection<BsonDocument>("orders").InsertManyAsync(Enumerable.Range(0, 100).Select(i => new BsonDocument("_id", i)));
            var chunks = Path.Combine(folder, "repo", "db", "MongoDB", "demo", "mg-rs", "oplog", "rs0");

            PrometheusText metrics;
            (string, string)[] labels = [("database", "mg-rs"), ("component", "rs0")];
            do
            {
                await Task.Delay(200, stop.Token);
                metrics = await NodeMetricsTests.ScrapeAsync(address);
            }
            while (metrics.Find("archiver_oplog_last_archived_timestamp_seconds", labels).Count == 0);

            // Every chunk in the folder was counted as it was stored, with its bytes as they lie there. A chunk stored
            // between the listing and the scrape (the emulator's periodic no-op writes) would differ for a good reason: the
            // folder is listed before and after, and a few looks are taken.
            List<string> files = [];
            for (var look = 0; look < 20; look++)
            {
                var before = Chunks(chunks);
                metrics = await NodeMetricsTests.ScrapeAsync(address);
                files = Chunks(chunks);
                if (before.SequenceEqual(files) && metrics.Single("archiver_oplog_chunks_uploaded_total", labels) == files.Count) break;
                await Task.Delay(100, stop.Token);
            }

            Assert.Equal(files.Count, metrics.Single("archiver_oplog_chunks_uploaded_total", labels));
            Assert.Equal(files.Sum(f => new FileInfo(f).Length), metrics.Single("archiver_oplog_chunk_upload_bytes_total", labels));
            Assert.Equal(files.Count, metrics.Single("archiver_oplog_chunk_upload_duration_seconds_count", labels));
            Assert.Equal(files.Count, metrics.Single("archiver_oplog_chunk_upload_duration_seconds_bucket", [.. labels, ("le", "+Inf")]));
            Assert.True(metrics.Single("archiver_oplog_lag_seconds", labels) >= 0);
            await stop.CancelAsync();
            Assert.Equal(0, (await sidecar.Completion).ExitCode);
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static List<string> Chunks(string folder) => [.. Directory.EnumerateFiles(folder, "*.oplog", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    private static async Task<Uri> MetricsAddressAsync(RunningCli sidecar, CancellationToken cancellation)
    {
        while (true)
        {
            if (sidecar.Lines().Select(l => MetricsLine().Match(l)).FirstOrDefault(m => m.Success) is { } found) return new Uri(found.Groups[1].Value);
            if (sidecar.Completion.IsCompleted) throw new InvalidOperationException($"the sidecar ended: {await sidecar.Completion}");
            await Task.Delay(50, cancellation);
        }
    }

    [GeneratedRegex("^metrics on (http://[^ ]+/)metrics$")]
    private static partial Regex MetricsLine();
}
