using Archiver.Messages.Resources;

namespace Archiver.Messages.Protocol.OpsRequests;

/// <summary>The steps of the seed's ops request, each idempotent so it can be run again after a crash.</summary>
public enum OpsRequestStep
{
    CreateBackupConfiguration,
    /// <summary>The seed's "Create ArchiveInfo CR".</summary>
    CreateSnapshot,
    /// <summary>In a cluster: inject the oplog archiver sidecar into the pod template.</summary>
    StartArchiving,
    /// <summary>Roll the pods so a pod template change takes effect; keyed by the ops request, so done once.</summary>
    RestartPods,
    /// <summary>Set <c>db.spec.archiver</c>, the spec-hash annotation and <c>db.status.archiver</c>.</summary>
    UpdateDatabase,
    DeleteBackupConfiguration,
    /// <summary>In a cluster: remove the sidecar from the pod template.</summary>
    StopArchiving,
    /// <summary>Clear <c>db.spec.archiver</c>, the annotation, and mark <c>db.status.archiver</c> disabled.</summary>
    ClearDatabase,
}

public static class OpsRequestPlans
{
    public static readonly IReadOnlyList<OpsRequestStep> Configure =
    [
        OpsRequestStep.CreateBackupConfiguration,
        OpsRequestStep.CreateSnapshot,
        OpsRequestStep.StartArchiving,
        OpsRequestStep.RestartPods,
        OpsRequestStep.UpdateDatabase,
    ];

    public static readonly IReadOnlyList<OpsRequestStep> Disable =
    [
        OpsRequestStep.DeleteBackupConfiguration,
        OpsRequestStep.StopArchiving,
        OpsRequestStep.RestartPods,
        OpsRequestStep.ClearDatabase,
    ];

    public static IReadOnlyList<OpsRequestStep> For(ArchiverOperationType operation) =>
        operation == ArchiverOperationType.ConfigureArchiver ? Configure : Disable;
}
