using System.Text;
using System.Text.Json.Nodes;
using Archiver.Messages.Resources;

namespace Archiver.Messages.Manifests;

/// <summary>
/// deploy/statefulset/crds.yaml: a CustomResourceDefinition of every kind Archiver reads and writes, with the
/// structural schema of <see cref="CrdSchemas"/>, the status subresource Archiver writes through, and the printer
/// columns <c>kubectl get</c> shows. Printed by <c>archiver crds</c>; a test fails when the file differs.
/// </summary>
public static class CrdManifests
{
    public const string Header = """
        # CustomResourceDefinitions for every kind Archiver reads and writes, for a cluster that has no KubeDB or KubeStash
        # installed. Where they are, their own CRDs serve the same groups, versions and names: do not apply this file
        # (KubeDB's MongoDB, ops request and archiver CRDs and KubeStash's would be replaced by these).
        # Generated from the C# resource types (src/Messages/Resources) by `archiver crds > deploy/statefulset/crds.yaml`;
        # do not edit by hand (tests/Archiver.Host.Tests/CrdGenerationTests.cs fails when it differs).
        # The schemas are structural: types, enums (with the KubeDB spellings Archiver reads), formats, the patterns and
        # minimums Archiver's own validation implies, required fields, and descriptions for `kubectl explain`. Fields
        # KubeDB owns on MongoDB are kept open (x-kubernetes-preserve-unknown-fields). Archiver still validates what it
        # reads itself, and refuses a wrong MongoDBArchiver at admission (webhook.yaml).
        # Printer columns for `kubectl get` (`-o wide` adds the priority 1 ones) on the kinds Archiver owns or writes.

        """;

    /// <summary>The additionalPrinterColumns of each kind that has more than Name and Age, by kind.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<PrinterColumn>> PrinterColumns = new Dictionary<string, IReadOnlyList<PrinterColumn>>
    {
        [MongoDBArchiver.KindName] =
        [
            new("Phase", "string", ".status.phase"),
            new("Databases", "integer", ".status.databases"),
            new("Storage", "string", ".spec.backupStorage.ref.name"),
            new("Schedule", "string", ".spec.fullBackup.scheduler.schedule", Priority: 1),
            PrinterColumn.Age,
        ],
        [MongoDBOpsRequest.KindName] =
        [
            new("Type", "string", ".spec.type"),
            new("Database", "string", ".spec.databaseRef.name"),
            new("Phase", "string", ".status.phase"),
            new("Operation", "string", ".spec.archiver.operation", Priority: 1),
            PrinterColumn.Age,
        ],
        // KubeDB's own columns (Version, Status), then archiving's; the last window's end is how far back a restore can
        // reach now. Absent lag is unknown (the replica set cannot be read), which kubectl prints as <none>.
        [MongoDB.KindName] =
        [
            new("Version", "string", ".spec.version"),
            new("Status", "string", ".status.phase"),
            new("Archiving", "string", ".status.archiver.phase"),
            new("Lag", "string", ".status.archiver.lag"),
            new("Last Backup", "date", ".status.archiver.lastFullBackup"),
            new("Recoverable Until", "string", ".status.archiver.recoverableWindows[-1].end", Priority: 1),
            PrinterColumn.Age,
        ],
        [Snapshot.KindName] =
        [
            new("Type", "string", ".spec.type"),
            new("Database", "string", ".spec.appRef.name"),
            new("Phase", "string", ".status.phase"),
            new("Size", "string", ".status.size"),
            new("Verification", "string", ".status.verificationStatus"),
            // The span an incremental Snapshot's oplog covers (its first component's walSegment), in -o wide.
            new("Start", "string", ".spec.components[0].walSegment.start", Priority: 1),
            new("End", "string", ".spec.components[0].walSegment.end", Priority: 1),
            new("Updated", "date", ".spec.snapshotTime.lastUpdated", Priority: 1),
            PrinterColumn.Age,
        ],
    };

    /// <summary>The whole file: <see cref="Header"/>, then one document per kind in <see cref="ResourceKinds.All"/>'s order.</summary>
    public static string Yaml(DocComments docs)
    {
        var text = new StringBuilder(Header);
        foreach (var kind in ResourceKinds.All)
        {
            text.Append("---\n").Append(YamlText.Write(Definition(kind, docs)));
        }

        return text.ToString();
    }

    public static JsonObject Definition(ResourceKind kind, DocComments docs)
    {
        var version = new JsonObject
        {
            ["name"] = kind.Version,
            ["served"] = true,
            ["storage"] = true,
            ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
        };
        if (PrinterColumns.TryGetValue(kind.Kind, out var columns))
        {
            version["additionalPrinterColumns"] = new JsonArray([.. columns.Select(c => (JsonNode)c.ToJson())]);
        }

        version["schema"] = new JsonObject { ["openAPIV3Schema"] = CrdSchemas.OpenApiV3Schema(kind, docs) };
        return new JsonObject
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinition",
            ["metadata"] = new JsonObject { ["name"] = $"{kind.Plural}.{kind.Group}" },
            ["spec"] = new JsonObject
            {
                ["group"] = kind.Group,
                ["scope"] = "Namespaced",
                ["names"] = new JsonObject
                {
                    ["kind"] = kind.Kind,
                    ["plural"] = kind.Plural,
                    ["singular"] = kind.Kind.ToLowerInvariant(),
                    ["listKind"] = kind.Kind + "List",
                },
                ["versions"] = new JsonArray(version),
            },
        };
    }
}
