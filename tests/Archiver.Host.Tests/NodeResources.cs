using Archiver.Host.Node;
using Archiver.Messages.Protocol;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Tests;

/// <summary>
/// What the tests that run an embedded node in this process do with its resources: apply manifests through the CLI
/// (the examples of deploy/examples/embedded with their backups under the test's folder), and wait for a MongoDB to get
/// somewhere.
/// </summary>
internal static class NodeResources
{
    /// <summary>Writes <paramref name="text"/> as <paramref name="name"/> in <paramref name="folder"/> and applies it (<c>archiver apply -f</c>).</summary>
    public static async Task ApplyAsync(ArchiverNodeHost node, string folder, string name, string text)
    {
        await File.WriteAllTextAsync(Path.Combine(folder, name), text);
        var run = await CliRun.RunAsync("apply", "-f", Path.Combine(folder, name), "--node", node.Address.ToString());
        Assert.True(run.ExitCode == 0, run.Output + run.Error);
    }

    /// <summary>Applies the embedded example <paramref name="name"/>, its backups under <paramref name="folder"/>/backups.</summary>
    public static async Task ApplyExampleAsync(ArchiverNodeHost node, string folder, string name)
    {
        var text = (await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "examples", "embedded", name)))
            .Replace("/var/lib/archiver/backups", Path.Combine(folder, "backups"), StringComparison.Ordinal);
        await ApplyAsync(node, folder, name, text);
    }

    /// <summary>The MongoDB once <paramref name="done"/> holds for it; fails saying <paramref name="what"/> did not happen, with the resource as it was.</summary>
    public static async Task<MongoDBResource> WaitAsync(ArchiverNodeHost node, ResourceId id, Func<MongoDBResource, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var db = await node.Store.GetAsync<MongoDBResource>(id);
            if (db is not null && done(db)) return db;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{id}: {what} did not happen: {(db is null ? "absent" : Archiver.Messages.Manifests.ManifestWriter.ToYaml(db))}");
            await Task.Delay(100);
        }
    }
}
