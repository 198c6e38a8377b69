using Archiver.Actors.Embedded;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Tests;

/// <summary>Resources for tests, written as a user would write them.</summary>
internal static class Fixtures
{
    public static readonly ResourceId ArchiverId = new("kubedb", "archiver-demo");
    public static readonly ResourceId DatabaseId = new("demo", "mg-rs");

    public static MongoDBArchiver Archiver(string schedule = "@hourly", string name = "archiver-demo", string @namespace = "kubedb", string extraSpec = "") =>
        Read<MongoDBArchiver>($$$"""
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: {{{name}}}, namespace: {{{@namespace}}}}
            spec:
              databases:
                namespaces: {from: All}
                selector: {matchLabels: {archiver: "true"}}
              fullBackup:
                driver: Logical
                scheduler: {schedule: "{{{schedule}}}"}
              walBackup: {config: {chunkMaxAge: 2s}}
              backupStorage: {ref: {name: local-storage, namespace: stash}}
              deletionPolicy: Delete
            {{{extraSpec}}}
            """);

    public static MongoDB Database(string name = "mg-rs", string @namespace = "demo", bool selected = true) =>
        Read<MongoDB>($$$"""
            apiVersion: kubedb.com/v1alpha2
            kind: MongoDB
            metadata: {name: {{{name}}}, namespace: {{{@namespace}}}, labels: {archiver: "{{{(selected ? "true" : "false")}}}"}}
            spec: {version: "6.0.12", replicas: 3}
            """);

    public static async Task<InMemoryResourceStore> StoreWithAsync(params Resource[] resources)
    {
        var store = new InMemoryResourceStore();
        foreach (var resource in resources) await store.CreateAsync((dynamic)resource);
        return store;
    }

    private static T Read<T>(string yaml)
        where T : Resource
    {
        var result = ManifestReader.Read(yaml);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return (T)result.Resources[0];
    }
}
