using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;
using Archiver.Emulators.Cluster.Controllers;

namespace Archiver.Emulators.Cluster.Snapshots;

/// <summary>
/// The common snapshot controller (kubernetes-csi/external-snapshotter <c>pkg/common-controller/snapshot_controller.go</c>
/// and <c>snapshot_controller_base.go</c>, v8), run as its ServiceAccount with its ClusterRole: for a VolumeSnapshot
/// of a claim it sets the default class when none is named (the class annotated
/// <c>snapshot.storage.kubernetes.io/is-default-class: "true"</c> of the claim's driver), protects the claim while the
/// snapshot is not ready, creates the VolumeSnapshotContent <c>snapcontent-{uid}</c> with the class's driver and
/// deletion policy, and copies what the CSI sidecar writes into the content's status into the snapshot's
/// (<c>boundVolumeSnapshotContentName</c>, <c>creationTime</c>, <c>readyToUse</c>, <c>restoreSize</c>, <c>error</c>);
/// a VolumeSnapshot naming a pre-provisioned content is bound to it. Failures go into <c>status.error</c> and Events
/// with the real controller's reasons and words. Finalizers as it puts them, so that deleting a snapshot deletes its
/// content under <c>Delete</c> and leaves it under <c>Retain</c>, and never while a claim is being restored from it.
/// Each pass reads the caches and makes at most one change per object; the watch brings the next pass.
/// </summary>
internal sealed class SnapshotController
{
    private readonly Informer _classes;
    private readonly Informer _snapshots;
    private readonly Informer _contents;
    private readonly Informer _claims;
    private readonly ApiClient _api;
    private readonly Events _events;
    private readonly string _driver;
    private readonly StandInLog _log;
    private readonly TimeProvider _time;
    private readonly WrittenVersions _written = new();

    public SnapshotController(Informer classes, Informer snapshots, Informer contents, Informer claims, ApiClient api, Events events, string driver, StandInLog log, TimeProvider time)
    {
        _classes = classes;
        _snapshots = snapshots;
        _contents = contents;
        _claims = claims;
        _api = api;
        _events = events;
        _driver = driver;
        _log = log;
        _time = time;
        Loop = new ReconcileLoop("snapshot-controller", ReconcileAsync, TimeSpan.FromSeconds(5), log);
        foreach (var informer in new[] { classes, snapshots, contents, claims }) informer.Changed += (_, _) => Loop.Trigger();
    }

    public ReconcileLoop Loop { get; }

    private async Task ReconcileAsync(CancellationToken stop)
    {
        foreach (var content in _contents.Items().Where(c => !_written.IsStale(c))) await Guarded($"content {J.Name(content)}", () => SyncContentAsync(content, stop)).ConfigureAwait(false);
        foreach (var snapshot in _snapshots.Items().Where(s => !_written.IsStale(s))) await Guarded($"snapshot {Key(snapshot)}", () => SyncSnapshotByKeyAsync(snapshot, stop)).ConfigureAwait(false);
    }

    /// <summary>One object's sync; its failure is logged and retried at the next pass, as the work queue requeues a key.</summary>
    private async Task Guarded(string what, Func<Task> sync)
    {
        try
        {
            await sync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ApiException or ControllerException or HttpRequestException)
        {
            _log.Write($"snapshot-controller: {what}: {e.Message}");
        }
    }

    // syncContent: a content bound to a snapshot gets its finalizer; one whose snapshot is being deleted is annotated.
    private async Task SyncContentAsync(JsonObject content, CancellationToken stop)
    {
        var source = content["spec"]?["source"];
        if ((source?["volumeHandle"] is null) == (source?["snapshotHandle"] is null))
        {
            await _events.RecordAsync(content, "Warning", "ContentValidationError", "Exactly one of VolumeHandle and SnapshotHandle should be specified", stop).ConfigureAwait(false);
            return;
        }

        var reference = content["spec"]?["volumeSnapshotRef"];
        if (J.Text(reference?["uid"]).Length == 0) return;
        if (!J.Deleting(content) && !Finalizers(content).Contains(SnapshotNames.ContentFinalizer))
        {
            await AddFinalizerAsync(Kind.VolumeSnapshotContent.Item("", J.Name(content)), content, SnapshotNames.ContentFinalizer, stop).ConfigureAwait(false);
            return;
        }

        var snapshot = _snapshots.Get(J.Text(reference?["namespace"]), J.Text(reference?["name"]));
        if (snapshot is not null && J.Uid(snapshot) == J.Text(reference?["uid"]) && IsDeletionCandidate(snapshot))
        {
            await SetBeingDeletedAsync(content, stop).ConfigureAwait(false);
        }
    }

    // syncSnapshotByKey: the class first (named, or the default one set), then syncSnapshot.
    private async Task SyncSnapshotByKeyAsync(JsonObject snapshot, CancellationToken stop)
    {
        if (ClassName(snapshot) is { } className)
        {
            if (_classes.Get("", className) is null)
            {
                await ErrorStatusAsync(snapshot, false, "GetSnapshotClassFailed", $"Failed to get snapshot class with error {ClassNotFound(className)}", stop).ConfigureAwait(false);
                if (!J.Deleting(snapshot)) return;
            }
        }
        else if (ContentName(snapshot) is null)
        {
            var (defaultClass, error) = DefaultClass(snapshot);
            if (error is not null)
            {
                await ErrorStatusAsync(snapshot, false, "SetDefaultSnapshotClassFailed", $"Failed to set default snapshot class with error {error}", stop).ConfigureAwait(false);
                return;
            }

            _written.Wrote(await _api.JsonPatchAsync(Kind.VolumeSnapshot.Item(J.Namespace(snapshot), J.Name(snapshot)),
                [Op("add", "/spec/volumeSnapshotClassName", defaultClass)], stop).ConfigureAwait(false));
            return;
        }

        await SyncSnapshotAsync(snapshot, stop).ConfigureAwait(false);
    }

    private async Task SyncSnapshotAsync(JsonObject snapshot, CancellationToken stop)
    {
        try
        {
            await CheckAndRemoveClaimFinalizerAsync(snapshot, skipCurrent: false, stop).ConfigureAwait(false);
        }
        catch (ApiException)
        {
            await _events.RecordAsync(snapshot, "Warning", "ErrorPVCFinalizer", "Error check and remove PVC Finalizer for VolumeSnapshot", stop).ConfigureAwait(false);
        }

        if (J.Deleting(snapshot))
        {
            await ProcessDeletionAsync(snapshot, stop).ConfigureAwait(false);
            return;
        }

        if ((PvcName(snapshot) is null) == (ContentName(snapshot) is null))
        {
            await ErrorStatusAsync(snapshot, true, "SnapshotValidationError", "Exactly one of PersistentVolumeClaimName and VolumeSnapshotContentName should be specified", stop).ConfigureAwait(false);
            return;
        }

        try
        {
            if (await CheckAndAddFinalizersAsync(snapshot, stop).ConfigureAwait(false)) return;
        }
        catch (ControllerException e)
        {
            await _events.RecordAsync(snapshot, "Warning", "SnapshotFinalizerError", $"Failed to check and update snapshot: {e.Message}", stop).ConfigureAwait(false);
            throw;
        }

        if (!IsReady(snapshot) || BoundName(snapshot) is null) await SyncUnreadyAsync(snapshot, stop).ConfigureAwait(false);
        else await SyncReadyAsync(snapshot, stop).ConfigureAwait(false);
    }

    // processSnapshotWithDeletionTimestamp and checkandRemoveSnapshotFinalizersAndCheckandDeleteContent.
    private async Task ProcessDeletionAsync(JsonObject snapshot, CancellationToken stop)
    {
        var contentName = BoundName(snapshot) ?? (PvcName(snapshot) is not null ? SnapshotNames.ContentFor(J.Uid(snapshot)) : "");
        var content = _contents.Get("", contentName);
        var deleteContent = false;
        if (content is not null && RefersTo(content, snapshot)) deleteContent = J.Text(content["spec"]?["deletionPolicy"]) == "Delete";
        else content = null;
        if (!IsDeletionCandidate(snapshot)) return;
        if (content is not null && BeingRestored(snapshot))
        {
            await _events.RecordAsync(snapshot, "Warning", "SnapshotDeletePending", "Snapshot is being used to restore a PVC", stop).ConfigureAwait(false);
            throw new ControllerException($"snapshot {Key(snapshot)} is in use (being used to restore a PVC), will retry deletion");
        }

        if (content is not null) await SetBeingDeletedAsync(content, stop).ConfigureAwait(false);
        if (content is not null && deleteContent)
        {
            try
            {
                await _api.DeleteAsync(Kind.VolumeSnapshotContent.Item("", J.Name(content)), stop).ConfigureAwait(false);
            }
            catch (ApiException e)
            {
                await _events.RecordAsync(snapshot, "Warning", "SnapshotContentObjectDeleteError", "Failed to delete snapshot content API object", stop).ConfigureAwait(false);
                throw new ControllerException($"failed to delete VolumeSnapshotContent {J.Name(content)} from API server: {GoText.Quote(e.Message)}");
            }
        }

        // The bound finalizer stays while the content it protects is being deleted by the sidecar.
        await RemoveFinalizersAsync(snapshot, removeBound: !(content is not null && deleteContent), stop).ConfigureAwait(false);
    }

    /// <summary>checkandAddSnapshotFinalizers; true when it changed the snapshot.</summary>
    private async Task<bool> CheckAndAddFinalizersAsync(JsonObject snapshot, CancellationToken stop)
    {
        var content = ContentName(snapshot) is not null ? await PreprovisionedContentAsync(snapshot, stop).ConfigureAwait(false) : await DynamicContentAsync(snapshot, stop).ConfigureAwait(false);
        var finalizers = Finalizers(snapshot);
        var addSource = !finalizers.Contains(SnapshotNames.AsSourceFinalizer);
        var addBound = content is not null && !finalizers.Contains(SnapshotNames.BoundFinalizer) && BoundName(snapshot) is not null
            && J.Text(content["spec"]?["deletionPolicy"]) == "Delete";
        if (!addSource && !addBound) return false;
        var path = Kind.VolumeSnapshot.Item(J.Namespace(snapshot), J.Name(snapshot));
        try
        {
            if (finalizers.Count == 0)
            {
                // As the controller does: an update when there are none yet, a patch appending to them otherwise.
                var updated = (JsonObject)snapshot.DeepClone();
                updated["metadata"]!["finalizers"] = Strings([.. addSource ? [SnapshotNames.AsSourceFinalizer] : Array.Empty<string>(), .. addBound ? [SnapshotNames.BoundFinalizer] : Array.Empty<string>()]);
                _written.Wrote(await _api.ReplaceAsync(path, updated, stop).ConfigureAwait(false));
            }
            else
            {
                JsonArray operations = [];
                if (addSource) operations.Add(Op("add", "/metadata/finalizers/-", SnapshotNames.AsSourceFinalizer));
                if (addBound) operations.Add(Op("add", "/metadata/finalizers/-", SnapshotNames.BoundFinalizer));
                _written.Wrote(await _api.JsonPatchAsync(path, operations, stop).ConfigureAwait(false));
            }
        }
        catch (ApiException e)
        {
            throw ControllerException.UpdateFailed(Key(snapshot), e.Message);
        }

        return true;
    }

    private async Task SyncUnreadyAsync(JsonObject snapshot, CancellationToken stop)
    {
        if (ContentName(snapshot) is { } contentName)
        {
            var content = await PreprovisionedContentAsync(snapshot, stop).ConfigureAwait(false);
            if (content is null)
            {
                await ErrorStatusAsync(snapshot, true, "SnapshotContentMissing", "VolumeSnapshotContent is missing", stop).ConfigureAwait(false);
                throw new ControllerException($"snapshot {Key(snapshot)} requests an non-existing content {contentName}");
            }

            var reference = content["spec"]?["volumeSnapshotRef"];
            var uid = J.Text(reference?["uid"]);
            if (J.Text(reference?["name"]) != J.Name(snapshot) || (uid.Length > 0 && uid != J.Uid(snapshot)))
            {
                var error = $"Could not bind snapshot {J.Name(snapshot)} and content {contentName}, the VolumeSnapshotRef does not match";
                await ErrorStatusAsync(snapshot, true, "SnapshotBindFailed", $"Snapshot failed to bind VolumeSnapshotContent, {error}", stop).ConfigureAwait(false);
                throw new ControllerException($"snapshot {Key(snapshot)} is bound, but VolumeSnapshotContent {contentName} is not bound to the VolumeSnapshot correctly, {error}");
            }

            if (uid.Length == 0 || content["spec"]?["volumeSnapshotClassName"] is null)
            {
                // checkandBindSnapshotContent: the content learns the snapshot's uid (and class), binding it.
                JsonArray operations = [Op("add", "/spec/volumeSnapshotRef/uid", J.Uid(snapshot))];
                if (ClassName(snapshot) is { } className) operations.Add(Op("add", "/spec/volumeSnapshotClassName", className));
                content = _written.Wrote(await _api.JsonPatchAsync(Kind.VolumeSnapshotContent.Item("", contentName), operations, stop).ConfigureAwait(false));
            }

            await UpdateStatusAsync(snapshot, content, stop).ConfigureAwait(false);
            return;
        }

        var existing = await DynamicContentAsync(snapshot, stop).ConfigureAwait(false);
        if (existing is not null)
        {
            if (existing["spec"]?["source"]?["snapshotHandle"] is not null)
            {
                await ErrorStatusAsync(snapshot, true, "SnapshotHandleSet", $"Snapshot handle should not be set in content {Key(snapshot)} for dynamic provisioning", stop).ConfigureAwait(false);
                throw new ControllerException($"snapshotHandle should not be set in the content for dynamic provisioning for snapshot {Key(snapshot)}");
            }

            await UpdateStatusAsync(snapshot, existing, stop).ConfigureAwait(false);
            return;
        }

        JsonObject created;
        try
        {
            created = await CreateContentAsync(snapshot, stop).ConfigureAwait(false);
        }
        catch (ControllerException e)
        {
            await ErrorStatusAsync(snapshot, true, "SnapshotContentCreationFailed", $"Failed to create snapshot content with error {e.Message}", stop).ConfigureAwait(false);
            throw;
        }

        await UpdateStatusAsync(snapshot, created, stop).ConfigureAwait(false);
    }

    private async Task SyncReadyAsync(JsonObject snapshot, CancellationToken stop)
    {
        var content = _contents.Get("", BoundName(snapshot)!);
        if (content is null) await ErrorStatusAsync(snapshot, true, "SnapshotContentMissing", "VolumeSnapshotContent is missing", stop).ConfigureAwait(false);
        else if (!RefersTo(content, snapshot)) await ErrorStatusAsync(snapshot, true, "SnapshotMisbound", "VolumeSnapshotContent is not bound to the VolumeSnapshot correctly", stop).ConfigureAwait(false);
    }

    // createSnapshotContent: the claim protected, the class and the claim's volume read, the content created.
    private async Task<JsonObject> CreateContentAsync(JsonObject snapshot, CancellationToken stop)
    {
        await EnsureClaimFinalizerAsync(snapshot, stop).ConfigureAwait(false);
        var (claim, volume, inputError) = Volume(snapshot);
        var className = ClassName(snapshot);
        var snapshotClass = className is null ? null : _classes.Get("", className);
        inputError = className is null ? $"failed to take snapshot {J.Name(snapshot)} without a snapshot class"
            : snapshotClass is null ? ClassNotFound(className)
            : inputError;
        if (inputError is not null) throw new ControllerException($"failed to get input parameters to create snapshot {J.Name(snapshot)}: {GoText.Quote(inputError)}");
        var name = SnapshotNames.ContentFor(J.Uid(snapshot));
        var content = new JsonObject
        {
            ["apiVersion"] = Kind.VolumeSnapshotContent.ApiVersion,
            ["kind"] = Kind.VolumeSnapshotContent.Name,
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["volumeSnapshotRef"] = new JsonObject
                {
                    ["kind"] = Kind.VolumeSnapshot.Name,
                    ["namespace"] = J.Namespace(snapshot),
                    ["name"] = J.Name(snapshot),
                    ["uid"] = J.Uid(snapshot),
                    ["apiVersion"] = Kind.VolumeSnapshot.ApiVersion,
                    ["resourceVersion"] = J.Text(snapshot["metadata"]?["resourceVersion"]),
                },
                ["source"] = new JsonObject { ["volumeHandle"] = volume },
                ["volumeSnapshotClassName"] = className,
                ["deletionPolicy"] = J.Text(snapshotClass!["deletionPolicy"]),
                ["driver"] = J.Text(snapshotClass["driver"]),
                // --prevent-volume-mode-conversion is on by default: the content records the source's mode.
                ["sourceVolumeMode"] = J.Text(claim!["spec"]?["volumeMode"]) is { Length: > 0 } mode ? mode : "Filesystem",
            },
        };
        try
        {
            content = _written.Wrote(await _api.CreateAsync(Kind.VolumeSnapshotContent.All, content, stop).ConfigureAwait(false));
            _log.Write($"snapshot-controller: content {name} created for snapshot {Key(snapshot)}");
        }
        catch (ApiException e) when (e.Code == 409 && e.Reason == "AlreadyExists")
        {
            // Created by an earlier pass whose answer this cache does not show yet: reused.
        }
        catch (ApiException e)
        {
            await _events.RecordAsync(snapshot, "Warning", "CreateSnapshotContentFailed", $"Error creating volume snapshot content object for snapshot {Key(snapshot)}: {e.Message}.", stop).ConfigureAwait(false);
            throw ControllerException.UpdateFailed(Key(snapshot), e.Message);
        }

        await _events.RecordAsync(snapshot, "Normal", "CreatingSnapshot", $"Waiting for a snapshot {Key(snapshot)} to be created by the CSI driver.", stop).ConfigureAwait(false);
        return content;
    }

    // updateSnapshotStatus: the snapshot's status from its content's, read fresh from the API server.
    private async Task UpdateStatusAsync(JsonObject snapshot, JsonObject content, CancellationToken stop)
    {
        var path = Kind.VolumeSnapshot.Item(J.Namespace(snapshot), J.Name(snapshot));
        var fresh = await _api.GetAsync(path, stop).ConfigureAwait(false) ?? throw new ControllerException($"error get snapshot {Key(snapshot)} from api server: not found");
        var contentStatus = content["status"] as JsonObject;
        var ready = J.Bool(contentStatus?["readyToUse"], false);
        var before = fresh["status"] as JsonObject;
        var status = (JsonObject?)before?.DeepClone() ?? [];
        status["boundVolumeSnapshotContentName"] ??= J.Name(content);
        if (status["creationTime"] is null && contentStatus?["creationTime"] is JsonValue nanos)
        {
            status["creationTime"] = J.Time(DateTimeOffset.FromUnixTimeMilliseconds(nanos.GetValue<long>() / 1_000_000));
        }

        if (status["readyToUse"] is null || J.Bool(status["readyToUse"], false) != ready)
        {
            status["readyToUse"] = ready;
            if (ready) status.Remove("error");
        }

        if (contentStatus?["restoreSize"] is JsonValue size && (status["restoreSize"] is null || J.Text(status["restoreSize"]) == "0") && size.GetValue<long>() > 0)
        {
            status["restoreSize"] = Quantity.BinarySI(size.GetValue<long>());
        }

        // The content's error replaces the snapshot's, and none clears it (the controller compares error pointers).
        if (contentStatus?["error"] is JsonObject contentError) status["error"] = contentError.DeepClone();
        else status.Remove("error");
        if (JsonNode.DeepEquals(before, status)) return;
        if (before?["creationTime"] is null && status["creationTime"] is not null)
        {
            await _events.RecordAsync(snapshot, "Normal", "SnapshotCreated", $"Snapshot {Key(snapshot)} was successfully created by the CSI driver.", stop).ConfigureAwait(false);
        }

        if (!J.Bool(before?["readyToUse"], false) && ready)
        {
            await _events.RecordAsync(snapshot, "Normal", "SnapshotReady", $"Snapshot {Key(snapshot)} is ready to use.", stop).ConfigureAwait(false);
        }

        fresh["status"] = status;
        try
        {
            _written.Wrote(await _api.ReplaceAsync(Kind.VolumeSnapshot.Status(J.Namespace(snapshot), J.Name(snapshot)), fresh, stop).ConfigureAwait(false));
        }
        catch (ApiException e)
        {
            throw ControllerException.UpdateFailed(Key(snapshot), e.Message);
        }
    }

    /// <summary>updateSnapshotErrorStatusWithEvent: the error (and readyToUse false if asked) unless the same message is there; the event always.</summary>
    private async Task ErrorStatusAsync(JsonObject snapshot, bool setReadyToFalse, string reason, string message, CancellationToken stop)
    {
        if (J.Text(snapshot["status"]?["error"]?["message"]) == message) return;
        var updated = (JsonObject)snapshot.DeepClone();
        var status = updated["status"] as JsonObject ?? [];
        status["error"] = new JsonObject { ["message"] = message, ["time"] = J.Now(_time) };
        if (setReadyToFalse) status["readyToUse"] = false;
        updated["status"] = status;
        try
        {
            _written.Wrote(await _api.ReplaceAsync(Kind.VolumeSnapshot.Status(J.Namespace(snapshot), J.Name(snapshot)), updated, stop).ConfigureAwait(false));
        }
        finally
        {
            // Emitted even when the status could not be written, so that the user sees the error.
            await _events.RecordAsync(snapshot, "Warning", reason, message, stop).ConfigureAwait(false);
        }
    }

    private async Task<JsonObject?> PreprovisionedContentAsync(JsonObject snapshot, CancellationToken stop)
    {
        var name = ContentName(snapshot)!;
        if (name.Length == 0) throw new ControllerException($"empty VolumeSnapshotContentName for snapshot {Key(snapshot)}");
        var content = _contents.Get("", name);
        if (content is null) return null;
        if (content["spec"]?["source"]?["snapshotHandle"] is null)
        {
            await ErrorStatusAsync(snapshot, true, "SnapshotContentMismatch", "VolumeSnapshotContent is dynamically provisioned while expecting a pre-provisioned one", stop).ConfigureAwait(false);
            throw new ControllerException($"snapshot {Key(snapshot)} expects a pre-provisioned VolumeSnapshotContent {name} but gets a dynamically provisioned one");
        }

        var reference = content["spec"]?["volumeSnapshotRef"];
        var uid = J.Text(reference?["uid"]);
        if (J.Text(reference?["name"]) != J.Name(snapshot) || J.Text(reference?["namespace"]) != J.Namespace(snapshot) || (uid.Length > 0 && uid != J.Uid(snapshot)))
        {
            var message = $"VolumeSnapshotContent [{name}] is bound to a different snapshot";
            await ErrorStatusAsync(snapshot, true, "SnapshotContentMisbound", message, stop).ConfigureAwait(false);
            throw new ControllerException(message);
        }

        return content;
    }

    private async Task<JsonObject?> DynamicContentAsync(JsonObject snapshot, CancellationToken stop)
    {
        var name = SnapshotNames.ContentFor(J.Uid(snapshot));
        var content = _contents.Get("", name);
        if (content is null) return null;
        if (content["spec"]?["source"]?["volumeHandle"] is null)
        {
            await ErrorStatusAsync(snapshot, true, "SnapshotContentMismatch", $"VolumeSnapshotContent {name} is pre-provisioned while expecting a dynamically provisioned one", stop).ConfigureAwait(false);
            throw new ControllerException($"snapshot {Key(snapshot)} expects a dynamically provisioned VolumeSnapshotContent {name} but gets a pre-provisioned one");
        }

        if (!RefersTo(content, snapshot))
        {
            var message = $"VolumeSnapshotContent [{name}] is bound to a different snapshot";
            await ErrorStatusAsync(snapshot, true, "SnapshotContentMisbound", message, stop).ConfigureAwait(false);
            throw new ControllerException(message);
        }

        return content;
    }

    // ensurePVCFinalizer: the source claim cannot go while its snapshot is being taken.
    private async Task EnsureClaimFinalizerAsync(JsonObject snapshot, CancellationToken stop)
    {
        var claim = _claims.Get(J.Namespace(snapshot), PvcName(snapshot)!)
            ?? throw ControllerException.UpdateFailed(J.Name(snapshot), "cannot get claim from snapshot");
        // A claim this controller has just written (the finalizer added) may not be in the cache yet.
        if (Finalizers(claim).Contains(SnapshotNames.ClaimFinalizer) || _written.IsStale(claim)) return;
        if (J.Deleting(claim)) throw ControllerException.UpdateFailed(J.Name(claim), "cannot add finalizer on claim because it is being deleted");
        var updated = (JsonObject)claim.DeepClone();
        updated["metadata"]!["finalizers"] = Strings([.. Finalizers(claim), SnapshotNames.ClaimFinalizer]);
        try
        {
            _written.Wrote(await _api.ReplaceAsync(Kind.Claim.Item(J.Namespace(claim), J.Name(claim)), updated, stop).ConfigureAwait(false));
        }
        catch (ApiException e)
        {
            throw ControllerException.UpdateFailed(J.Name(claim), e.Message);
        }
    }

    // checkandRemovePVCFinalizer: the claim is released once no snapshot of it is still being taken.
    private async Task CheckAndRemoveClaimFinalizerAsync(JsonObject snapshot, bool skipCurrent, CancellationToken stop)
    {
        if (PvcName(snapshot) is not { } claimName) return;
        var claim = _claims.Get(J.Namespace(snapshot), claimName);
        if (claim is null || !Finalizers(claim).Contains(SnapshotNames.ClaimFinalizer)) return;
        var inUse = _snapshots.InNamespace(J.Namespace(snapshot))
            .Where(s => !(skipCurrent && J.Name(s) == J.Name(snapshot)))
            .Any(s => PvcName(s) == claimName && !IsReady(s));
        if (inUse) return;
        var fresh = await _api.GetAsync(Kind.Claim.Item(J.Namespace(claim), claimName), stop).ConfigureAwait(false);
        if (fresh is null) return;
        fresh["metadata"]!["finalizers"] = Strings([.. Finalizers(fresh).Where(f => f != SnapshotNames.ClaimFinalizer)]);
        _written.Wrote(await _api.ReplaceAsync(Kind.Claim.Item(J.Namespace(claim), claimName), fresh, stop).ConfigureAwait(false));
        _log.Write($"snapshot-controller: claim {J.Namespace(claim)}/{claimName}: {SnapshotNames.ClaimFinalizer} removed");
    }

    // removeSnapshotFinalizer: the claim's finalizer first (no snapshot event will come once the snapshot is gone).
    private async Task RemoveFinalizersAsync(JsonObject snapshot, bool removeBound, CancellationToken stop)
    {
        try
        {
            await CheckAndRemoveClaimFinalizerAsync(snapshot, skipCurrent: true, stop).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await _events.RecordAsync(snapshot, "Warning", "ErrorPVCFinalizer", "Error check and remove PVC Finalizer for VolumeSnapshot", stop).ConfigureAwait(false);
            throw ControllerException.UpdateFailed(J.Name(snapshot), e.Message);
        }

        var kept = Finalizers(snapshot).Where(f => f != SnapshotNames.AsSourceFinalizer && !(removeBound && f == SnapshotNames.BoundFinalizer)).ToList();
        if (kept.Count == Finalizers(snapshot).Count) return;
        var updated = (JsonObject)snapshot.DeepClone();
        updated["metadata"]!["finalizers"] = Strings(kept);
        try
        {
            _written.Wrote(await _api.ReplaceAsync(Kind.VolumeSnapshot.Item(J.Namespace(snapshot), J.Name(snapshot)), updated, stop).ConfigureAwait(false));
        }
        catch (ApiException e)
        {
            throw ControllerException.UpdateFailed(J.Name(snapshot), e.Message);
        }
    }

    private async Task SetBeingDeletedAsync(JsonObject content, CancellationToken stop)
    {
        if (content["metadata"]?["annotations"]?[SnapshotNames.BeingDeleted] is not null) return;
        var annotations = content["metadata"]?["annotations"]?.DeepClone() as JsonObject ?? [];
        annotations[SnapshotNames.BeingDeleted] = "yes";
        try
        {
            _written.Wrote(await _api.JsonPatchAsync(Kind.VolumeSnapshotContent.Item("", J.Name(content)), [Op("add", "/metadata/annotations", annotations)], stop).ConfigureAwait(false));
        }
        catch (ApiException e)
        {
            throw ControllerException.UpdateFailed(J.Name(content), e.Message);
        }
    }

    private async Task AddFinalizerAsync(string path, JsonObject item, string finalizer, CancellationToken stop)
    {
        var operation = Finalizers(item).Count > 0 ? Op("add", "/metadata/finalizers/-", finalizer) : Op("add", "/metadata/finalizers", Strings([finalizer]));
        try
        {
            _written.Wrote(await _api.JsonPatchAsync(path, [operation], stop).ConfigureAwait(false));
        }
        catch (ApiException e)
        {
            throw ControllerException.UpdateFailed(J.Name(item), e.Message);
        }
    }

    /// <summary>SetDefaultSnapshotClass: the one default class of the claim's driver, or the controller's error.</summary>
    private (string? Class, string? Error) DefaultClass(JsonObject snapshot)
    {
        var (_, _, error) = Volume(snapshot);
        if (error is not null) return (null, error);
        var defaults = _classes.Items()
            .Where(c => J.Text(c["metadata"]?["annotations"]?[SnapshotNames.IsDefaultClass]) == "true" && J.Text(c["driver"]) == _driver)
            .Select(J.Name).ToList();
        return defaults.Count switch
        {
            0 => (null, "cannot find default snapshot class"),
            1 => (defaults[0], null),
            _ => (null, $"{defaults.Count} default snapshot classes were found"),
        };
    }

    /// <summary>
    /// getVolumeFromVolumeSnapshot: the claim and the volume bound to it (the stand-in serves no PersistentVolumes: a
    /// bound claim's <c>spec.volumeName</c> is a volume of the stand-in's CSI driver), or the controller's error.
    /// </summary>
    private (JsonObject? Claim, string? Volume, string? Error) Volume(JsonObject snapshot)
    {
        if (PvcName(snapshot) is not { } claimName) return (null, null, "the snapshot source PVC name is not specified");
        if (claimName.Length == 0) return (null, null, $"the PVC name is not specified in snapshot {Key(snapshot)}");
        var claim = _claims.Get(J.Namespace(snapshot), claimName);
        if (claim is null) return (null, null, $"failed to retrieve PVC {claimName} from the lister: {GoText.Quote($"persistentvolumeclaim \"{claimName}\" not found")}");
        if (J.Text(claim["status"]?["phase"]) != "Bound") return (claim, null, $"the PVC {claimName} is not yet bound to a PV, will not attempt to take a snapshot");
        return (claim, J.Text(claim["spec"]?["volumeName"]), null);
    }

    /// <summary>isVolumeBeingCreatedFromSnapshot: a Pending claim of the namespace names the snapshot as its data source.</summary>
    private bool BeingRestored(JsonObject snapshot) => _claims.InNamespace(J.Namespace(snapshot)).Any(c =>
        c["spec"]?["dataSource"] is JsonObject source && J.Text(source["name"]) == J.Name(snapshot) && J.Text(source["kind"]) == Kind.VolumeSnapshot.Name
        && J.Text(source["apiGroup"]) == SnapshotResources.Group && J.Text(c["status"]?["phase"]) == "Pending");

    private static bool RefersTo(JsonObject content, JsonObject snapshot)
    {
        var reference = content["spec"]?["volumeSnapshotRef"];
        return J.Text(reference?["name"]) == J.Name(snapshot) && J.Text(reference?["namespace"]) == J.Namespace(snapshot) && J.Text(reference?["uid"]) == J.Uid(snapshot);
    }

    private static bool IsDeletionCandidate(JsonObject snapshot) =>
        J.Deleting(snapshot) && (Finalizers(snapshot).Contains(SnapshotNames.AsSourceFinalizer) || Finalizers(snapshot).Contains(SnapshotNames.BoundFinalizer));

    private static bool IsReady(JsonObject snapshot) => J.Bool(snapshot["status"]?["readyToUse"], false);

    private static string? BoundName(JsonObject snapshot) => J.Text(snapshot["status"]?["boundVolumeSnapshotContentName"]) is { Length: > 0 } name ? name : null;

    private static string? PvcName(JsonObject snapshot) => snapshot["spec"]?["source"]?["persistentVolumeClaimName"] is { } name ? J.Text(name) : null;

    private static string? ContentName(JsonObject snapshot) => snapshot["spec"]?["source"]?["volumeSnapshotContentName"] is { } name ? J.Text(name) : null;

    private static string? ClassName(JsonObject snapshot) => snapshot["spec"]?["volumeSnapshotClassName"] is { } name ? J.Text(name) : null;

    /// <summary>What the generated lister says of a missing class (client-go <c>errors.NewNotFound</c> of resource <c>volumesnapshotclass</c>).</summary>
    private static string ClassNotFound(string name) => $"volumesnapshotclass.{SnapshotResources.Group} \"{name}\" not found";

    private static string Key(JsonObject snapshot) => $"{J.Namespace(snapshot)}/{J.Name(snapshot)}";

    private static List<string> Finalizers(JsonObject item) => [.. (item["metadata"]?["finalizers"] as JsonArray ?? []).Select(J.Text)];

    private static JsonArray Strings(IEnumerable<string> values) => [.. values.Select(v => (JsonNode)v)];

    private static JsonObject Op(string op, string path, JsonNode? value) => new() { ["op"] = op, ["path"] = path, ["value"] = value };
}
