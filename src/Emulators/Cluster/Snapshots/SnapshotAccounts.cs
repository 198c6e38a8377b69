using System.Text.Json.Nodes;
using Archiver.Emulators.Kubernetes;

namespace Archiver.Emulators.Cluster.Snapshots;

/// <summary>
/// The identities of the snapshot machinery, installed as a cluster installs them and given tokens of their own, so
/// that the API server stand-in's RBAC holds them to exactly what their manifests grant (unlike the stand-in's other
/// parts, which are in <c>system:masters</c>): the ServiceAccounts <c>snapshot-controller</c>, <c>csi-snapshotter</c>
/// and <c>csi-provisioner</c> in <c>kube-system</c> with the ClusterRoles of external-snapshotter's
/// <c>deploy/kubernetes/snapshot-controller/rbac-snapshot-controller.yaml</c>,
/// <c>deploy/kubernetes/csi-snapshotter/rbac-csi-snapshotter.yaml</c> and external-provisioner's
/// <c>deploy/kubernetes/rbac.yaml</c> (the rules of kinds the stand-in serves; group snapshots, leases, nodes,
/// CSINodes, storage classes and volume attachments left out).
/// </summary>
internal static class SnapshotAccounts
{
    public const string Namespace = "kube-system";

    public static (string Controller, string Sidecar, string Provisioner) Install(KubernetesEmulator api)
    {
        if (api.Get($"/api/v1/namespaces/{Namespace}") is null) api.SetNamespace(Namespace);
        var snapshots = SnapshotResources.Group;
        Account(api, "snapshot-controller", "snapshot-controller-runner", "snapshot-controller-role",
            Rule("", "persistentvolumes", "get", "list", "watch"),
            Rule("", "persistentvolumeclaims", "get", "list", "watch", "update"),
            Rule("", "events", "list", "watch", "create", "update", "patch"),
            Rule(snapshots, "volumesnapshotclasses", "get", "list", "watch"),
            Rule(snapshots, "volumesnapshotcontents", "create", "get", "list", "watch", "update", "delete", "patch"),
            Rule(snapshots, "volumesnapshotcontents/status", "patch"),
            Rule(snapshots, "volumesnapshots", "create", "get", "list", "watch", "update", "patch", "delete"),
            Rule(snapshots, "volumesnapshots/status", "update", "patch"));
        Account(api, "csi-snapshotter", "external-snapshotter-runner", "csi-snapshotter-role",
            Rule("", "events", "list", "watch", "create", "update", "patch"),
            Rule(snapshots, "volumesnapshotclasses", "get", "list", "watch"),
            Rule(snapshots, "volumesnapshotcontents", "get", "list", "watch", "update", "patch"),
            Rule(snapshots, "volumesnapshotcontents/status", "update", "patch"));
        Account(api, "csi-provisioner", "external-provisioner-runner", "csi-provisioner-role",
            Rule("", "persistentvolumes", "get", "list", "watch", "create", "patch", "delete"),
            Rule("", "persistentvolumeclaims", "get", "list", "watch", "update"),
            Rule("", "events", "list", "watch", "create", "update", "patch"),
            Rule(snapshots, "volumesnapshots", "get", "list", "watch", "update"),
            Rule(snapshots, "volumesnapshotcontents", "get", "list"));
        return (api.IssueServiceAccountToken(Namespace, "snapshot-controller"), api.IssueServiceAccountToken(Namespace, "csi-snapshotter"),
            api.IssueServiceAccountToken(Namespace, "csi-provisioner"));
    }

    private static void Account(KubernetesEmulator api, string account, string role, string binding, params JsonObject[] rules)
    {
        Ensure(api, $"/api/v1/namespaces/{Namespace}/serviceaccounts", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject { ["name"] = account, ["namespace"] = Namespace },
        });
        Ensure(api, "/apis/rbac.authorization.k8s.io/v1/clusterroles", new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = new JsonObject { ["name"] = role },
            ["rules"] = new JsonArray([.. rules]),
        });
        Ensure(api, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRoleBinding",
            ["metadata"] = new JsonObject { ["name"] = binding },
            ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = account, ["namespace"] = Namespace }),
            ["roleRef"] = new JsonObject { ["kind"] = "ClusterRole", ["name"] = role, ["apiGroup"] = "rbac.authorization.k8s.io" },
        });
    }

    private static void Ensure(KubernetesEmulator api, string collection, JsonObject item)
    {
        if (api.Get($"{collection}/{item["metadata"]!["name"]!.GetValue<string>()}") is null) api.Create(collection, item);
    }

    private static JsonObject Rule(string group, string resource, params string[] verbs) => new()
    {
        ["apiGroups"] = new JsonArray(group),
        ["resources"] = new JsonArray(resource),
        ["verbs"] = new JsonArray([.. verbs.Select(v => (JsonNode)v)]),
    };
}
