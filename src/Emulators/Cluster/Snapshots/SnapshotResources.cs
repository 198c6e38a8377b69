using System.Text.Json.Nodes;

namespace Archiver.Emulators.Cluster.Snapshots;

/// <summary>
/// The <c>snapshot.storage.k8s.io/v1</c> CustomResourceDefinitions a cluster with CSI snapshots has, as
/// kubernetes-csi/external-snapshotter <c>client/config/crd/snapshot.storage.k8s.io_volumesnapshotclasses.yaml</c>,
/// <c>_volumesnapshots.yaml</c> and <c>_volumesnapshotcontents.yaml</c> (v8) define them: scope, short names, printer
/// columns, the status subresource of VolumeSnapshot and VolumeSnapshotContent, and the schemas' fields, types,
/// enums, required fields and <c>x-kubernetes-validations</c> (exactly one source, sources immutable and required once
/// set, a class name not empty, a content's snapshot reference naming name and namespace), which the API server
/// stand-in enforces (<see cref="Archiver.Emulators.Kubernetes.SchemaValidation"/>) as the API server enforces them
/// since the validating webhook was replaced by these rules (external-snapshotter v8). The deprecated, unserved
/// <c>v1beta1</c> versions and the descriptions are left out; <c>kubectl explain</c> shows the fields without them.
/// </summary>
internal static class SnapshotResources
{
    public const string Group = "snapshot.storage.k8s.io";

    public static IReadOnlyList<JsonObject> Definitions() =>
    [
        Definition("VolumeSnapshotClass", "volumesnapshotclasses", "Cluster", ["vsclass", "vsclasses"], 814, status: false, Columns(
            Column(".driver", "Driver", "string"),
            Column(".deletionPolicy", "DeletionPolicy", "string"),
            Column(".metadata.creationTimestamp", "Age", "date")), ClassSchema),
        Definition("VolumeSnapshot", "volumesnapshots", "Namespaced", ["vs"], 814, status: true, Columns(
            Column(".status.readyToUse", "ReadyToUse", "boolean"),
            Column(".spec.source.persistentVolumeClaimName", "SourcePVC", "string"),
            Column(".spec.source.volumeSnapshotContentName", "SourceSnapshotContent", "string"),
            Column(".status.restoreSize", "RestoreSize", "string"),
            Column(".spec.volumeSnapshotClassName", "SnapshotClass", "string"),
            Column(".status.boundVolumeSnapshotContentName", "SnapshotContent", "string"),
            Column(".status.creationTime", "CreationTime", "date"),
            Column(".metadata.creationTimestamp", "Age", "date")), SnapshotSchema),
        Definition("VolumeSnapshotContent", "volumesnapshotcontents", "Cluster", ["vsc", "vscs"], 955, status: true, Columns(
            Column(".status.readyToUse", "ReadyToUse", "boolean"),
            Column(".status.restoreSize", "RestoreSize", "integer"),
            Column(".spec.deletionPolicy", "DeletionPolicy", "string"),
            Column(".spec.driver", "Driver", "string"),
            Column(".spec.volumeSnapshotClassName", "VolumeSnapshotClass", "string"),
            Column(".spec.volumeSnapshotRef.name", "VolumeSnapshot", "string"),
            Column(".spec.volumeSnapshotRef.namespace", "VolumeSnapshotNamespace", "string"),
            Column(".metadata.creationTimestamp", "Age", "date")), ContentSchema),
    ];

    private const string ClassSchema = """
        {
          "type": "object",
          "required": ["deletionPolicy", "driver"],
          "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "deletionPolicy": {"type": "string", "enum": ["Delete", "Retain"]},
            "driver": {"type": "string"},
            "parameters": {"type": "object", "additionalProperties": {"type": "string"}}
          }
        }
        """;

    private const string SnapshotSchema = """
        {
          "type": "object",
          "required": ["spec"],
          "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
              "type": "object",
              "required": ["source"],
              "properties": {
                "source": {
                  "type": "object",
                  "properties": {
                    "persistentVolumeClaimName": {"type": "string", "x-kubernetes-validations": [{"message": "persistentVolumeClaimName is immutable", "rule": "self == oldSelf"}]},
                    "volumeSnapshotContentName": {"type": "string", "x-kubernetes-validations": [{"message": "volumeSnapshotContentName is immutable", "rule": "self == oldSelf"}]}
                  },
                  "x-kubernetes-validations": [
                    {"message": "persistentVolumeClaimName is required once set", "rule": "!has(oldSelf.persistentVolumeClaimName) || has(self.persistentVolumeClaimName)"},
                    {"message": "volumeSnapshotContentName is required once set", "rule": "!has(oldSelf.volumeSnapshotContentName) || has(self.volumeSnapshotContentName)"},
                    {"message": "exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set", "rule": "(has(self.volumeSnapshotContentName) && !has(self.persistentVolumeClaimName)) || (!has(self.volumeSnapshotContentName) && has(self.persistentVolumeClaimName))"}
                  ]
                },
                "volumeSnapshotClassName": {"type": "string", "x-kubernetes-validations": [{"message": "volumeSnapshotClassName must not be the empty string when set", "rule": "size(self) > 0"}]}
              }
            },
            "status": {
              "type": "object",
              "properties": {
                "boundVolumeSnapshotContentName": {"type": "string"},
                "creationTime": {"type": "string", "format": "date-time"},
                "error": {"type": "object", "properties": {"message": {"type": "string"}, "time": {"type": "string", "format": "date-time"}}},
                "readyToUse": {"type": "boolean"},
                "restoreSize": {"type": "string", "x-kubernetes-int-or-string": true, "pattern": "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$"},
                "volumeGroupSnapshotName": {"type": "string"}
              }
            }
          }
        }
        """;

    private const string ContentSchema = """
        {
          "type": "object",
          "required": ["spec"],
          "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
              "type": "object",
              "required": ["deletionPolicy", "driver", "source", "volumeSnapshotRef"],
              "properties": {
                "deletionPolicy": {"type": "string", "enum": ["Delete", "Retain"]},
                "driver": {"type": "string"},
                "source": {
                  "type": "object",
                  "properties": {
                    "snapshotHandle": {"type": "string", "x-kubernetes-validations": [{"message": "snapshotHandle is immutable", "rule": "self == oldSelf"}]},
                    "volumeHandle": {"type": "string", "x-kubernetes-validations": [{"message": "volumeHandle is immutable", "rule": "self == oldSelf"}]}
                  },
                  "x-kubernetes-validations": [
                    {"message": "volumeHandle is required once set", "rule": "!has(oldSelf.volumeHandle) || has(self.volumeHandle)"},
                    {"message": "snapshotHandle is required once set", "rule": "!has(oldSelf.snapshotHandle) || has(self.snapshotHandle)"},
                    {"message": "exactly one of volumeHandle and snapshotHandle must be set", "rule": "(has(self.volumeHandle) && !has(self.snapshotHandle)) || (!has(self.volumeHandle) && has(self.snapshotHandle))"}
                  ]
                },
                "sourceVolumeMode": {"type": "string", "x-kubernetes-validations": [{"message": "sourceVolumeMode is immutable", "rule": "self == oldSelf"}]},
                "volumeSnapshotClassName": {"type": "string"},
                "volumeSnapshotRef": {
                  "type": "object",
                  "properties": {
                    "apiVersion": {"type": "string"},
                    "fieldPath": {"type": "string"},
                    "kind": {"type": "string"},
                    "name": {"type": "string"},
                    "namespace": {"type": "string"},
                    "resourceVersion": {"type": "string"},
                    "uid": {"type": "string"}
                  },
                  "x-kubernetes-map-type": "atomic",
                  "x-kubernetes-validations": [{"message": "both spec.volumeSnapshotRef.name and spec.volumeSnapshotRef.namespace must be set", "rule": "has(self.name) && has(self.__namespace__)"}]
                }
              },
              "x-kubernetes-validations": [{"message": "sourceVolumeMode is required once set", "rule": "!has(oldSelf.sourceVolumeMode) || has(self.sourceVolumeMode)"}]
            },
            "status": {
              "type": "object",
              "properties": {
                "creationTime": {"type": "integer", "format": "int64"},
                "error": {"type": "object", "properties": {"message": {"type": "string"}, "time": {"type": "string", "format": "date-time"}}},
                "readyToUse": {"type": "boolean"},
                "restoreSize": {"type": "integer", "format": "int64", "minimum": 0},
                "snapshotHandle": {"type": "string"},
                "volumeGroupSnapshotHandle": {"type": "string"}
              }
            }
          }
        }
        """;

    private static JsonObject Definition(string kind, string plural, string scope, string[] shortNames, int approval, bool status, JsonArray columns, string schema)
    {
        var version = new JsonObject
        {
            ["name"] = "v1",
            ["served"] = true,
            ["storage"] = true,
            ["additionalPrinterColumns"] = columns,
            ["schema"] = new JsonObject { ["openAPIV3Schema"] = JsonNode.Parse(schema) },
        };
        if (status) version["subresources"] = new JsonObject { ["status"] = new JsonObject() };
        return new JsonObject
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinition",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{plural}.{Group}",
                ["annotations"] = new JsonObject { ["api-approved.kubernetes.io"] = $"https://github.com/kubernetes-csi/external-snapshotter/pull/{approval}" },
            },
            ["spec"] = new JsonObject
            {
                ["group"] = Group,
                ["scope"] = scope,
                ["names"] = new JsonObject
                {
                    ["kind"] = kind,
                    ["listKind"] = kind + "List",
                    ["plural"] = plural,
                    ["singular"] = kind.ToLowerInvariant(),
                    ["shortNames"] = new JsonArray([.. shortNames.Select(s => (JsonNode)s)]),
                },
                ["versions"] = new JsonArray(version),
            },
        };
    }

    private static JsonArray Columns(params JsonObject[] columns) => [.. columns];

    private static JsonObject Column(string path, string name, string type) => new() { ["jsonPath"] = path, ["name"] = name, ["type"] = type };
}
