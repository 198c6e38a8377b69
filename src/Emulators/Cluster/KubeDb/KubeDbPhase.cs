using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.KubeDb;

/// <summary>
/// KubeDB's phase of a database from its conditions, the rules of kubedb/apimachinery <c>pkg/phase/phase.go</c>
/// (PhaseFromCondition), in their order: HealthCheckPaused → Unknown; ProvisioningStarted → Provisioning; Halted →
/// Halted; DataRestoreStarted without DataRestored → DataRestoring, DataRestored=False → NotReady; once Provisioned,
/// AcceptingConnection=False → NotReady, ReplicaReady=False or Ready=False → Critical; Ready and Provisioned → Ready.
/// </summary>
internal static class KubeDbPhase
{
    public const string Provisioning = "Provisioning";
    public const string DataRestoring = "DataRestoring";
    public const string Ready = "Ready";
    public const string Critical = "Critical";
    public const string NotReady = "NotReady";
    public const string Halted = "Halted";
    public const string Unknown = "Unknown";

    // Condition types (kubedb/apimachinery apis/kubedb/constants.go).
    public const string ProvisioningStarted = "ProvisioningStarted";
    public const string Provisioned = "Provisioned";
    public const string DataRestoreStarted = "DataRestoreStarted";
    public const string DataRestored = "DataRestored";
    public const string ReplicaReady = "ReplicaReady";
    public const string AcceptingConnection = "AcceptingConnection";
    public const string ReadyCondition = "Ready";
    public const string HaltedCondition = "Halted";
    public const string HealthCheckPaused = "HealthCheckPaused";

    public static string FromConditions(IReadOnlyList<JsonObject> conditions)
    {
        bool Has(string type) => conditions.Any(c => J.Text(c["type"]) == type);
        bool IsTrue(string type) => conditions.Any(c => J.Text(c["type"]) == type && J.Text(c["status"]) == "True");
        bool IsFalse(string type) => conditions.Any(c => J.Text(c["type"]) == type && J.Text(c["status"]) == "False");

        if (IsTrue(HealthCheckPaused)) return Unknown;
        var phase = IsTrue(ProvisioningStarted) ? Provisioning : "";
        if (IsTrue(HaltedCondition)) return Halted;
        if (IsTrue(DataRestoreStarted))
        {
            if (!Has(DataRestored)) return DataRestoring;
            if (IsFalse(DataRestored)) return NotReady;
        }

        if (Has(DataRestored) && IsFalse(DataRestored)) return NotReady;
        var provisioned = IsTrue(Provisioned);
        if (IsFalse(AcceptingConnection) && provisioned) return NotReady;
        if (IsFalse(ReplicaReady) && provisioned) return Critical;
        if (IsFalse(ReadyCondition) && provisioned) return Critical;
        if (IsTrue(ReadyCondition) && provisioned) return Ready;
        return phase;
    }
}
