using System.Globalization;
using System.Net;
using Archiver.Storage.VolumeSnapshots;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// The record of an fsync lock (<see cref="IFsyncLockLease"/>) as a coordination.k8s.io/v1 Lease in the database's
/// namespace, <c>{database}-archiver-fsync-lock</c>, kept the way leader election keeps its Lease (client-go
/// <c>tools/leaderelection/resourcelock/leaselock.go</c>): <c>holderIdentity</c> (the backup pod),
/// <c>acquireTime</c>, <c>renewTime</c> and <c>leaseDurationSeconds</c>; the locked member in an annotation. Every
/// write is conditioned on the resourceVersion read, so a record renewed by its holder is never cleared by someone who
/// thought it stale.
/// </summary>
public sealed class KubernetesFsyncLockLease(IKubernetes client, string @namespace, string database, string holder, TimeProvider? time = null) : IFsyncLockLease
{
    /// <summary>The annotation naming the locked member (host:port).</summary>
    public const string MemberAnnotation = "archiver.kubedb.com/fsync-locked-member";

    /// <summary>How long a record stays fresh without a renewal: a few missed renewals, not one slow request.</summary>
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(15);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public static string Name(string database) => $"{database}-archiver-fsync-lock";

    public async Task AcquireAsync(string member, CancellationToken cancellationToken)
    {
        var now = Now();
        var lease = new V1Lease
        {
            Metadata = new V1ObjectMeta
            {
                Name = Name(database),
                NamespaceProperty = @namespace,
                Labels = new Dictionary<string, string> { [VolumeSnapshotJob.ManagedByLabel] = VolumeSnapshotJob.ManagedBy, [VolumeSnapshotJob.DatabaseLabel] = database },
                Annotations = new Dictionary<string, string> { [MemberAnnotation] = member },
            },
            Spec = new V1LeaseSpec
            {
                HolderIdentity = holder,
                AcquireTime = now,
                RenewTime = now,
                LeaseDurationSeconds = (int)Duration.TotalSeconds,
            },
        };
        try
        {
            await client.CoordinationV1.CreateNamespacedLeaseAsync(lease, @namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // A record is there: this holder's own (a step retried) is taken over; anyone else's means a lock may be held,
            // which the caller was to release first (VolumeSnapshotBackup.ReleaseStaleLockAsync).
            var existing = await client.CoordinationV1.ReadNamespacedLeaseAsync(Name(database), @namespace, cancellationToken: cancellationToken);
            if (existing.Spec?.HolderIdentity != holder)
            {
                throw new InvalidOperationException(
                    $"Lease {@namespace}/{Name(database)} says {existing.Spec?.HolderIdentity} holds member {MemberOf(existing)} locked since {existing.Spec?.AcquireTime:O}; not locking another");
            }

            existing.Metadata.Annotations ??= new Dictionary<string, string>();
            existing.Metadata.Annotations[MemberAnnotation] = member;
            existing.Spec.AcquireTime = now;
            existing.Spec.RenewTime = now;
            await client.CoordinationV1.ReplaceNamespacedLeaseAsync(existing, Name(database), @namespace, cancellationToken: cancellationToken);
        }
    }

    public async Task RenewAsync(CancellationToken cancellationToken)
    {
        var existing = await ReadAsync(cancellationToken);
        if (existing?.Spec?.HolderIdentity != holder) return;
        existing.Spec.RenewTime = Now();
        await client.CoordinationV1.ReplaceNamespacedLeaseAsync(existing, Name(database), @namespace, cancellationToken: cancellationToken);
    }

    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        var existing = await ReadAsync(cancellationToken);
        if (existing?.Spec?.HolderIdentity != holder) return;
        await DeleteAsync(existing, cancellationToken);
    }

    public async Task<StaleFsyncLock?> FindStaleAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        if (await ReadAsync(cancellationToken) is not { Spec: { } spec } existing) return null;
        var now = _time.GetUtcNow();
        var renewed = Utc(spec.RenewTime ?? spec.AcquireTime);
        var since = Utc(spec.AcquireTime ?? spec.RenewTime);
        var duration = TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? (int)Duration.TotalSeconds);
        var lapsed = now - renewed > duration;
        var overdue = now - since > deadline;
        return lapsed || overdue ? new StaleFsyncLock(MemberOf(existing), spec.HolderIdentity ?? "", since, renewed) : null;
    }

    public async Task ClearAsync(StaleFsyncLock stale, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stale);
        if (await ReadAsync(cancellationToken) is not { Spec: { } spec } existing) return;
        var renewed = Utc(spec.RenewTime ?? spec.AcquireTime);
        // Renewed since it was found stale, or another holder's by now: not ours to clear.
        if (spec.HolderIdentity != stale.Holder || renewed > stale.LastRenewed) return;
        await DeleteAsync(existing, cancellationToken);
    }

    /// <summary>A Lease time (MicroTime, read back with no kind) as the UTC instant it is; none is the earliest.</summary>
    private static DateTimeOffset Utc(DateTime? time) => new(DateTime.SpecifyKind(time ?? DateTime.MinValue, DateTimeKind.Utc));

    private static string MemberOf(V1Lease lease) => lease.Metadata.Annotations?.TryGetValue(MemberAnnotation, out var member) == true ? member : "";

    /// <summary>Lease times are RFC 3339 with microseconds (MicroTime); whole microseconds keep what is read back equal.</summary>
    private DateTime Now()
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - (now.Ticks % 10), DateTimeKind.Utc);
    }

    private async Task<V1Lease?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoordinationV1.ReadNamespacedLeaseAsync(Name(database), @namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Deletes the record it read, and only that one (a uid and resourceVersion precondition).</summary>
    private async Task DeleteAsync(V1Lease existing, CancellationToken cancellationToken)
    {
        try
        {
            await client.CoordinationV1.DeleteNamespacedLeaseAsync(
                Name(database),
                @namespace,
                new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = existing.Metadata.Uid, ResourceVersion = existing.Metadata.ResourceVersion } },
                cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound)
        {
            // Gone already.
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Lease {@namespace}/{Name(database)} held by {holder}");
}
