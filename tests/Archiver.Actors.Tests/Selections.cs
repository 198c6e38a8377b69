using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Tests;

/// <summary>Archivers and databases for selection and routing tests: a namespace, a namespace rule, labels.</summary>
internal static class Selections
{
    /// <summary>An archiver in <paramref name="namespace"/> selecting <c>from</c> (Same, All, Selector on <c>backup: on</c>) databases labelled <c>tier: {tier}</c>.</summary>
    public static MongoDBArchiver Archiver(string name, string @namespace, string from = "Same", string? tier = "gold", DateTime? created = null)
    {
        var namespaces = from == "Selector" ? "{from: Selector, selector: {matchLabels: {backup: \"on\"}}}" : $"{{from: {from}}}";
        var selector = tier is null ? "" : $", selector: {{matchLabels: {{tier: {tier}}}}}";
        var archiver = (MongoDBArchiver)ManifestReader.Read($$$"""
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: {{{name}}}, namespace: {{{@namespace}}}}
            spec:
              databases: {namespaces: {{{namespaces}}}{{{selector}}}}
              fullBackup: {driver: Logical, scheduler: {schedule: "@daily"}}
              backupStorage: {ref: {name: local, namespace: stash}}
            """).Resources[0];
        archiver.Metadata.CreationTimestamp = created ?? new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        archiver.Metadata.Generation = 1;
        return archiver;
    }

    public static MongoDB Database(string name, string @namespace, string? tier = "gold", string? archiverRef = null)
    {
        var labels = tier is null ? "{}" : $"{{tier: {tier}}}";
        var reference = archiverRef is null ? "" : $", archiver: {{ref: {{name: {archiverRef.Split('/')[1]}, namespace: {archiverRef.Split('/')[0]}}}}}";
        return (MongoDB)ManifestReader.Read($$$"""
            apiVersion: kubedb.com/v1alpha2
            kind: MongoDB
            metadata: {name: {{{name}}}, namespace: {{{@namespace}}}, labels: {{{labels}}}}
            spec: {version: "6.0.12"{{{reference}}}}
            """).Resources[0];
    }
}
