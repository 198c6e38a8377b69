using System.Collections.Concurrent;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;
using Archiver.Emulators.Cluster.Controllers;

namespace Archiver.Emulators.Cluster.Snapshots;

/// <summary>
/// The csi-snapshotter sidecar beside the stand-in's CSI driver (kubernetes-csi/external-snapshotter
/// <c>pkg/sidecar-controller/snapshot_controller.go</c>, <c>csi_handler.go</c>, <c>pkg/snapshotter/snapshotter.go</c>),
/// run as its ServiceAccount with its ClusterRole: for each VolumeSnapshotContent of its driver it calls the driver's
/// CreateSnapshot for a dynamically provisioned one (named <c>snapshot-{VolumeSnapshot uid}</c>, the
/// <c>volumesnapshot-being-created</c> annotation on meanwhile) and writes what comes back into the content's status
/// (<c>snapshotHandle</c>, <c>creationTime</c> in Unix nanoseconds, <c>readyToUse</c>, <c>restoreSize</c> in bytes), asks
/// again until the snapshot is ready; checks a pre-provisioned one's handle with ListSnapshots; and, once the
/// snapshot controller has marked a content's snapshot as being deleted, deletes the driver's snapshot under
/// <c>Delete</c> (keeps it under <c>Retain</c>) and removes the content's finalizer. Contents of other drivers are
/// not its own: nothing happens to them, as on a cluster where no sidecar serves their driver.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class CsiSnapshotter
{
    private readonly Informer _classes;
    private readonly Informer _contents;
    private readonly ApiClient _api;
    private readonly Events _events;
    private readonly CsiDriver _driver;
    private readonly StandInLog _log;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, bool> _wakes = new();
    private readonly WrittenVersions _written = new();

    public CsiSnapshotter(Informer classes, Informer contents, ApiClient api, Events events, CsiDriver driver, StandInLog log, TimeProvider time)
    {
        _classes = classes;
        _contents = contents;
        _api = api;
        _events = events;
        _driver = driver;
        _log = log;
        _time = time;
        Loop = new ReconcileLoop("csi-snapshotter", ReconcileAsync, TimeSpan.FromSeconds(5), log);
        foreach (var informer in new[] { classes, contents }) informer.Changed += (_, _) => Loop.Trigger();
    }

    public ReconcileLoop Loop { get; }

    private async Task ReconcileAsync(CancellationToken stop)
    {
        foreach (var content in _contents.Items().Where(c => J.Text(c["spec"]?["driver"]) == _driver.Name && !_written.IsStale(c)))
        {
            try
            {
                await SyncContentAsync(content, stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ApiException or ControllerException or HttpRequestException)
            {
                _log.Write($"csi-snapshotter: content {J.Name(content)}: {e.Message}");
            }
        }
    }

    private async Task SyncContentAsync(JsonObject content, CancellationToken stop)
    {
        if (ShouldDelete(content))
        {
            var handle = J.Text(content["status"]?["snapshotHandle"]);
            if (J.Text(content["spec"]?["deletionPolicy"]) == "Delete" && handle.Length > 0)
            {
                content = await DeleteSnapshotAsync(content, handle, stop).ConfigureAwait(false);
            }

            await RemoveFinalizerAsync(content, stop).ConfigureAwait(false);
            return;
        }

        if (content["spec"]?["source"]?["volumeHandle"] is not null && content["status"] is null)
        {
            await CreateSnapshotAsync(content, "SnapshotCreationFailed", "Failed to create snapshot", stop).ConfigureAwait(false);
            return;
        }

        if (J.Bool(content["status"]?["readyToUse"], false))
        {
            await RemoveBeingCreatedAsync(content, stop).ConfigureAwait(false);
            return;
        }

        if (content["spec"]?["source"]?["snapshotHandle"] is not null)
        {
            try
            {
                await CheckPreprovisionedAsync(content, stop).ConfigureAwait(false);
            }
            catch (ControllerException e)
            {
                await ErrorStatusAsync(content, "SnapshotContentCheckandUpdateFailed", $"Failed to check and update snapshot content: {e.Message}", stop).ConfigureAwait(false);
                throw;
            }

            return;
        }

        await CreateSnapshotAsync(content, "SnapshotContentCheckandUpdateFailed", "Failed to check and update snapshot content", stop).ConfigureAwait(false);
    }

    // createSnapshot / createSnapshotWrapper: CreateSnapshot is idempotent by name, so asking again tells readiness.
    private async Task CreateSnapshotAsync(JsonObject content, string failureReason, string failurePrefix, CancellationToken stop)
    {
        try
        {
            var className = J.Text(content["spec"]?["volumeSnapshotClassName"]);
            var inputError = content["spec"]?["volumeSnapshotClassName"] is null ? $"failed to take snapshot {J.Name(content)} without a snapshot class"
                : _classes.Get("", className) is null ? $"volumesnapshotclass.{SnapshotResources.Group} \"{className}\" not found"
                : null;
            if (inputError is not null) throw new ControllerException($"failed to get input parameters to create snapshot for content {J.Name(content)}: {GoText.Quote(inputError)}");
            content = await SetBeingCreatedAsync(content, stop).ConfigureAwait(false);
            var reserved = J.Map(_classes.Get("", className)!["parameters"]).Keys
                .FirstOrDefault(k => k.StartsWith(SnapshotNames.ReservedParameterPrefix, StringComparison.Ordinal) && !SnapshotNames.SecretParameters.Contains(k[SnapshotNames.ReservedParameterPrefix.Length..]));
            if (reserved is not null)
            {
                throw new ControllerException($"failed to remove CSI Parameters of prefixed keys: found unknown parameter key \"{reserved}\" with reserved namespace {SnapshotNames.ReservedParameterPrefix}");
            }

            var volume = J.Text(content["spec"]?["source"]?["volumeHandle"]);
            CsiSnapshot taken;
            try
            {
                taken = await _driver.CreateSnapshotAsync($"snapshot-{J.Text(content["spec"]?["volumeSnapshotRef"]?["uid"])}", volume, stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CsiException or IOException or UnauthorizedAccessException)
            {
                // A final error (not a timeout): the driver answered, so the annotation goes.
                await RemoveBeingCreatedAsync(content, stop).ConfigureAwait(false);
                var grpc = e is CsiException ? e.Message : new CsiException("Internal", e.Message).Message;
                throw new ControllerException($"failed to take snapshot of the volume {volume}: {GoText.Quote(grpc)}");
            }

            _log.Write($"csi-snapshotter: content {J.Name(content)}: snapshot {taken}, ready {taken.ReadyToUse}");
            content = await UpdateStatusAsync(content, taken, stop).ConfigureAwait(false);
            await RemoveBeingCreatedAsync(content, stop).ConfigureAwait(false);
            WakeWhenReady(taken);
        }
        catch (ControllerException e)
        {
            await ErrorStatusAsync(content, failureReason, $"{failurePrefix}: {e.Message}", stop).ConfigureAwait(false);
            throw;
        }
    }

    // checkandUpdateContentStatusOperation for a pre-provisioned content: its handle looked up (ListSnapshots).
    private async Task CheckPreprovisionedAsync(JsonObject content, CancellationToken stop)
    {
        if (content["spec"]?["volumeSnapshotClassName"] is { } name && _classes.Get("", J.Text(name)) is null)
        {
            throw new ControllerException($"failed to get snapshot class {J.Text(name)} for snapshot content {J.Name(content)}: volumesnapshotclass.{SnapshotResources.Group} \"{J.Text(name)}\" not found");
        }

        var handle = J.Text(content["spec"]?["source"]?["snapshotHandle"]);
        var found = _driver.Snapshot(handle)
            ?? throw new ControllerException($"failed to list snapshot for content {J.Name(content)}: {GoText.Quote($"can not find snapshot for snapshotID {handle}")}");
        await UpdateStatusAsync(content, found, stop).ConfigureAwait(false);
        WakeWhenReady(found);
    }

    // deleteCSISnapshotOperation: the driver's snapshot deleted, then the status that named it cleared.
    private async Task<JsonObject> DeleteSnapshotAsync(JsonObject content, string handle, CancellationToken stop)
    {
        try
        {
            _driver.DeleteSnapshot(handle);
        }
        catch (IOException e)
        {
            await _events.RecordAsync(content, "Warning", "SnapshotDeleteError", "Failed to delete snapshot", stop).ConfigureAwait(false);
            throw new ControllerException($"failed to delete snapshot \"{J.Name(content)}\", err: failed to delete snapshot content {J.Name(content)}: {GoText.Quote(e.Message)}");
        }

        _log.Write($"csi-snapshotter: content {J.Name(content)}: snapshot {handle} deleted");
        var path = Kind.VolumeSnapshotContent.Item("", J.Name(content));
        var fresh = await _api.GetAsync(path, stop).ConfigureAwait(false) ?? throw new ControllerException($"error get snapshot content {J.Name(content)} from api server: not found");
        if (fresh["status"] is JsonObject status)
        {
            foreach (var field in new[] { "snapshotHandle", "readyToUse", "creationTime", "restoreSize" }) status.Remove(field);
        }

        try
        {
            return _written.Wrote(await _api.ReplaceAsync(Kind.VolumeSnapshotContent.Status("", J.Name(content)), fresh, stop).ConfigureAwait(false));
        }
        catch (ApiException e)
        {
            await _events.RecordAsync(content, "Warning", "SnapshotDeleteError", "Failed to clear content status", stop).ConfigureAwait(false);
            throw ControllerException.UpdateFailed(J.Name(content), e.Message);
        }
    }

    // updateSnapshotContentStatus: fields set once, readiness as the driver says, the size once known.
    private async Task<JsonObject> UpdateStatusAsync(JsonObject content, CsiSnapshot snapshot, CancellationToken stop)
    {
        var path = Kind.VolumeSnapshotContent.Item("", J.Name(content));
        var fresh = await _api.GetAsync(path, stop).ConfigureAwait(false) ?? throw new ControllerException($"error get snapshot content {J.Name(content)} from api server: not found");
        var before = fresh["status"] as JsonObject;
        var status = (JsonObject?)before?.DeepClone() ?? [];
        status["snapshotHandle"] ??= snapshot.Handle;
        if (status["readyToUse"] is null || J.Bool(status["readyToUse"], false) != snapshot.ReadyToUse)
        {
            status["readyToUse"] = snapshot.ReadyToUse;
            if (snapshot.ReadyToUse) status.Remove("error");
        }

        status["creationTime"] ??= snapshot.CreationTime;
        if (status["restoreSize"] is null && snapshot.SizeBytes > 0) status["restoreSize"] = snapshot.SizeBytes;
        if (JsonNode.DeepEquals(before, status)) return fresh;
        try
        {
            return _written.Wrote(await _api.JsonPatchAsync(Kind.VolumeSnapshotContent.Status("", J.Name(content)), [Op("add", "/status", status)], stop).ConfigureAwait(false));
        }
        catch (ApiException e)
        {
            throw ControllerException.UpdateFailed(J.Name(content), e.Message);
        }
    }

    /// <summary>updateContentErrorStatusWithEvent: the error and readyToUse false, unless the same message is there; the event always.</summary>
    private async Task ErrorStatusAsync(JsonObject content, string reason, string message, CancellationToken stop)
    {
        if (J.Text(content["status"]?["error"]?["message"]) == message) return;
        var error = new JsonObject { ["message"] = message, ["time"] = J.Now(_time) };
        JsonArray operations = content["status"] is null
            ? [Op("add", "/status", new JsonObject { ["readyToUse"] = false, ["error"] = error })]
            : [Op("add", "/status/error", error), Op("add", "/status/readyToUse", false)];
        try
        {
            _written.Wrote(await _api.JsonPatchAsync(Kind.VolumeSnapshotContent.Status("", J.Name(content)), operations, stop).ConfigureAwait(false));
        }
        finally
        {
            await _events.RecordAsync(content, "Warning", reason, message, stop).ConfigureAwait(false);
        }
    }

    private async Task<JsonObject> SetBeingCreatedAsync(JsonObject content, CancellationToken stop)
    {
        if (content["metadata"]?["annotations"]?[SnapshotNames.BeingCreated] is not null) return content;
        var annotations = content["metadata"]?["annotations"]?.DeepClone() as JsonObject ?? [];
        annotations[SnapshotNames.BeingCreated] = "yes";
        try
        {
            return _written.Wrote(await _api.JsonPatchAsync(Kind.VolumeSnapshotContent.Item("", J.Name(content)), [Op("add", "/metadata/annotations", annotations)], stop).ConfigureAwait(false));
        }
        catch (ApiException e)
        {
            throw new ControllerException($"failed to add VolumeSnapshotBeingCreated annotation on the content {J.Name(content)}: {GoText.Quote(ControllerException.UpdateFailed(J.Name(content), e.Message).Message)}");
        }
    }

    private async Task RemoveBeingCreatedAsync(JsonObject content, CancellationToken stop)
    {
        if (content["metadata"]?["annotations"]?[SnapshotNames.BeingCreated] is null) return;
        try
        {
            _written.Wrote(await _api.JsonPatchAsync(Kind.VolumeSnapshotContent.Item("", J.Name(content)),
                [new JsonObject { ["op"] = "remove", ["path"] = "/metadata/annotations/" + SnapshotNames.BeingCreated.Replace("/", "~1", StringComparison.Ordinal) }], stop).ConfigureAwait(false));
        }
        catch (ApiException e)
        {
            throw ControllerException.UpdateFailed(J.Name(content), e.Message);
        }
    }

    private async Task RemoveFinalizerAsync(JsonObject content, CancellationToken stop)
    {
        var finalizers = (content["metadata"]?["finalizers"] as JsonArray ?? []).Select(J.Text).ToList();
        if (!finalizers.Contains(SnapshotNames.ContentFinalizer)) return;
        var kept = finalizers.Where(f => f != SnapshotNames.ContentFinalizer).ToList();
        try
        {
            _written.Wrote(await _api.JsonPatchAsync(Kind.VolumeSnapshotContent.Item("", J.Name(content)),
                [Op("replace", "/metadata/finalizers", kept.Count == 0 ? null : new JsonArray([.. kept.Select(k => (JsonNode)k)]))], stop).ConfigureAwait(false));
            _log.Write($"csi-snapshotter: content {J.Name(content)}: {SnapshotNames.ContentFinalizer} removed");
        }
        catch (ApiException e)
        {
            throw ControllerException.UpdateFailed(J.Name(content), e.Message);
        }
    }

    /// <summary>shouldDelete: an unbound pre-provisioned content, or one whose snapshot is being deleted and whose creation is not in flight.</summary>
    private static bool ShouldDelete(JsonObject content)
    {
        if (!J.Deleting(content)) return false;
        if (content["spec"]?["source"]?["snapshotHandle"] is not null && J.Text(content["spec"]?["volumeSnapshotRef"]?["uid"]).Length == 0) return true;
        var annotations = content["metadata"]?["annotations"];
        if (annotations?[SnapshotNames.BeingCreated] is not null) return false;
        return annotations?[SnapshotNames.BeingDeleted] is not null;
    }

    /// <summary>The sidecar requeues a content that is not ready yet; the stand-in knows when the driver's snapshot will be.</summary>
    private void WakeWhenReady(CsiSnapshot snapshot)
    {
        if (snapshot.ReadyToUse || !_wakes.TryAdd(snapshot.Handle, true)) return;
        var wait = snapshot.ReadyAt - _time.GetUtcNow();
        _ = Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _time).ContinueWith(done =>
        {
            _wakes.TryRemove(snapshot.Handle, out _);
            Loop.Trigger();
        }, TaskScheduler.Default);
    }

    private static JsonObject Op(string op, string path, JsonNode? value) => new() { ["op"] = op, ["path"] = path, ["value"] = value };
}
