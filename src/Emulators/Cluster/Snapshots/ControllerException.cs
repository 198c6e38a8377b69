namespace Archiver.Emulators.Cluster.Snapshots;

/// <summary>
/// An error of the snapshot controllers' sync functions, with the message the real ones build (it ends up in
/// <c>status.error.message</c> and in Events), so that the stand-in's statuses read as a cluster's.
/// </summary>
internal sealed class ControllerException(string message) : Exception(message)
{
    /// <summary>External-snapshotter's <c>newControllerUpdateError</c>: "snapshot controller failed to update {name} on API server: {message}".</summary>
    public static ControllerException UpdateFailed(string name, string message) => new($"snapshot controller failed to update {name} on API server: {message}");
}
