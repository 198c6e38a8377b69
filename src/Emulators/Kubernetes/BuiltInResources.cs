using System.Globalization;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The built-in kinds the emulator serves, with the names, short names, categories and subresources a real API
/// server's discovery gives them (<c>kubectl api-resources</c> on a 1.32 cluster), and a few of the columns of its
/// printers (kubernetes/kubernetes <c>pkg/printers/internalversion/printers.go</c>). Not served: Deployments,
/// ReplicaSets, Nodes, PersistentVolumes and every kind not named here.
/// </summary>
internal static class BuiltInResources
{
    private const string Rbac = "rbac.authorization.k8s.io";
    private static readonly IReadOnlyList<string> NoDeleteCollection = ["create", "delete", "get", "list", "patch", "update", "watch"];

    public static readonly IReadOnlyList<ResourceType> All =
    [
        new("", "v1", "namespaces", "namespace", "Namespace", false)
        {
            ShortNames = ["ns"], Verbs = NoDeleteCollection, HasStatus = true,
            Columns = [new("Status", "string", ".status.phase", "The status of the namespace"), PrinterColumn.Age],
        },
        new("", "v1", "pods", "pod", "Pod", true)
        {
            ShortNames = ["po"], Categories = ["all"], HasStatus = true,
            Columns =
            [
                new("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.") { Compute = PodReady },
                new("Status", "string", ".status.phase", "The aggregate status of the containers in this pod."),
                new("Restarts", "string", "", "The number of times the containers in this pod have been restarted.") { Compute = PodRestarts },
                PrinterColumn.Age,
            ],
        },
        new("", "v1", "services", "service", "Service", true)
        {
            ShortNames = ["svc"], Categories = ["all"], HasStatus = true,
            Columns =
            [
                new("Type", "string", ".spec.type", "The type of the service."),
                new("Cluster-IP", "string", ".spec.clusterIP", "The IP address of the service."),
                new("External-IP", "string", "", "The external IP address of the service.") { Compute = _ => "<none>" },
                new("Port(s)", "string", "", "The port(s) of the service.") { Compute = ServicePorts },
                PrinterColumn.Age,
            ],
        },
        new("", "v1", "secrets", "secret", "Secret", true)
        {
            Columns = [new("Type", "string", ".type", "The type of the secret"), new("Data", "string", "", "The number of keys in the secret.") { Compute = o => Count(o["data"]) }, PrinterColumn.Age],
        },
        new("", "v1", "configmaps", "configmap", "ConfigMap", true)
        {
            ShortNames = ["cm"],
            Columns = [new("Data", "string", "", "The number of keys in the config map.") { Compute = o => Count(o["data"]) + Count(o["binaryData"]) }, PrinterColumn.Age],
        },
        new("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true)
        {
            ShortNames = ["sa"],
            Columns = [new("Secrets", "string", "", "The number of secrets the service account has.") { Compute = o => (o["secrets"] as JsonArray)?.Count ?? 0 }, PrinterColumn.Age],
        },
        new("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true)
        {
            ShortNames = ["pvc"], HasStatus = true,
            Columns =
            [
                new("Status", "string", ".status.phase", "The status of the claim."),
                new("Volume", "string", ".spec.volumeName", "The volume bound to the claim."),
                new("Capacity", "string", ".status.capacity.storage", "The capacity of the bound volume."),
                new("StorageClass", "string", ".spec.storageClassName", "The storage class of the claim."),
                PrinterColumn.Age,
            ],
        },
        new("", "v1", "events", "event", "Event", true) { ShortNames = ["ev"] },
        new("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true)
        {
            ShortNames = ["sts"], Categories = ["all"], HasStatus = true,
            Columns = [new("Ready", "string", "", "Number of the pod with ready state") { Compute = StatefulSetReady }, PrinterColumn.Age],
        },
        new("batch", "v1", "jobs", "job", "Job", true)
        {
            Categories = ["all"], HasStatus = true,
            Columns = [new("Completions", "string", "", "The desired number of successfully finished pods the job should be run with.") { Compute = JobCompletions }, PrinterColumn.Age],
        },
        // statefulset.yaml's budget for voluntary disruptions; stored and served (no eviction API here, so nothing enforces it).
        new("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true)
        {
            HasStatus = true,
            Columns =
            [
                new("Min Available", "string", ".spec.minAvailable", "The minimum number of pods that must be available."),
                new("Max Unavailable", "string", ".spec.maxUnavailable", "The maximum number of pods that may be unavailable."),
                new("Allowed Disruptions", "integer", ".status.disruptionsAllowed", "The number of disruptions currently allowed."),
                PrinterColumn.Age,
            ],
        },
        // Leader election's and the fsync lock record's kind (a backup Job renews one while it holds a member locked).
        new("coordination.k8s.io", "v1", "leases", "lease", "Lease", true)
        {
            Columns = [new("Holder", "string", ".spec.holderIdentity", "The identity of the holder of the lease."), PrinterColumn.Age],
        },
        new(Rbac, "v1", "roles", "role", "Role", true) { Columns = [CreatedAt] },
        new(Rbac, "v1", "rolebindings", "rolebinding", "RoleBinding", true) { Columns = [BindingRole, PrinterColumn.Age] },
        new(Rbac, "v1", "clusterroles", "clusterrole", "ClusterRole", false) { Columns = [CreatedAt] },
        new(Rbac, "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false) { Columns = [BindingRole, PrinterColumn.Age] },
        new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false)
        {
            ShortNames = ["crd", "crds"], HasStatus = true, Columns = [CreatedAt],
        },
        new("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "mutatingwebhookconfiguration", "MutatingWebhookConfiguration", false)
        {
            Columns = [Webhooks, PrinterColumn.Age],
        },
        new("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "validatingwebhookconfiguration", "ValidatingWebhookConfiguration", false)
        {
            Columns = [Webhooks, PrinterColumn.Age],
        },
    ];

    private static PrinterColumn CreatedAt => new("Created At", "date", ".metadata.creationTimestamp", "Timestamp when the object was created") { Compute = o => o["metadata"]?["creationTimestamp"]?.DeepClone() };

    private static PrinterColumn BindingRole => new("Role", "string", "", "Role referenced by this binding") { Compute = o => $"{o["roleRef"]?["kind"]}/{o["roleRef"]?["name"]}" };

    private static PrinterColumn Webhooks => new("Webhooks", "integer", "", "Webhooks indicates the number of webhooks registered in this configuration") { Compute = o => (o["webhooks"] as JsonArray)?.Count ?? 0 };

    private static int Count(JsonNode? map) => (map as JsonObject)?.Count ?? 0;

    private static JsonNode PodReady(JsonObject pod)
    {
        var total = (pod["spec"]?["containers"] as JsonArray)?.Count ?? 0;
        var ready = (pod["status"]?["containerStatuses"] as JsonArray)?.Count(s => s?["ready"]?.GetValue<bool>() == true) ?? 0;
        return $"{ready}/{total}";
    }

    private static JsonNode PodRestarts(JsonObject pod) =>
        (pod["status"]?["containerStatuses"] as JsonArray)?.Sum(s => s?["restartCount"]?.GetValue<long>() ?? 0).ToString(CultureInfo.InvariantCulture) ?? "0";

    private static JsonNode ServicePorts(JsonObject service)
    {
        var ports = (service["spec"]?["ports"] as JsonArray ?? []).Select(p => $"{p?["port"]}/{p?["protocol"] ?? "TCP"}").ToList();
        return ports.Count == 0 ? "<none>" : string.Join(",", ports);
    }

    private static JsonNode StatefulSetReady(JsonObject set) => $"{set["status"]?["readyReplicas"] ?? 0}/{set["spec"]?["replicas"] ?? 1}";

    private static JsonNode JobCompletions(JsonObject job) => $"{job["status"]?["succeeded"] ?? 0}/{job["spec"]?["completions"] ?? 1}";
}
