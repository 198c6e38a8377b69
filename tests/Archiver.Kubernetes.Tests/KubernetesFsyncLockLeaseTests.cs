using k8s;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// The record of an fsync lock as a Lease: fresh while renewed, stale once its holder stops renewing or holds it past
/// the deadline, cleared only as found.
/// </summary>
public sealed class KubernetesFsyncLockLeaseTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private const string Member = "mg-1.mg-pods.shop.svc:27017";

    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_held_lock_is_recorded_with_its_member_and_fresh_while_renewed_and_gone_once_released()
    {
        var ns = await server.NewNamespaceAsync();
        var clock = new ManualClock(DateTimeOffset.Parse("2026-12-07T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var lease = new KubernetesFsyncLockLease(server.Client, ns, "mg", "mg-full-1-1-abcde", clock);

        await lease.AcquireAsync(Member, CancellationToken.None);
        var stored = await server.Client.CoordinationV1.ReadNamespacedLeaseAsync(KubernetesFsyncLockLease.Name("mg"), ns);
        Assert.Equal(("mg-full-1-1-abcde", Member), (stored.Spec.HolderIdentity, stored.Metadata.Annotations[KubernetesFsyncLockLease.MemberAnnotation]));

        clock.Advance(TimeSpan.FromSeconds(10));
        await lease.RenewAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(await lease.FindStaleAsync(Deadline, CancellationToken.None));

        await lease.ReleaseAsync(CancellationToken.None);
        Assert.Null(await lease.FindStaleAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.Empty((await server.Client.CoordinationV1.ListNamespacedLeaseAsync(ns)).Items);
    }

    [Fact]
    public async Task A_holder_that_stops_renewing_leaves_a_stale_record_naming_the_member_which_another_clears()
    {
        var ns = await server.NewNamespaceAsync();
        var clock = new ManualClock(DateTimeOffset.Parse("2026-12-07T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var killed = new KubernetesFsyncLockLease(server.Client, ns, "mg", "attempt-1", clock);
        var next = new KubernetesFsyncLockLease(server.Client, ns, "mg", "attempt-2", clock);
        await killed.AcquireAsync(Member, CancellationToken.None);

        clock.Advance(KubernetesFsyncLockLease.Duration + TimeSpan.FromSeconds(1));
        var stale = await next.FindStaleAsync(Deadline, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => next.AcquireAsync("mg-2.mg-pods.shop.svc:27017", CancellationToken.None));

        Assert.NotNull(stale);
        Assert.Equal((Member, "attempt-1"), (stale.Member, stale.Holder));
        Assert.Contains("attempt-1 holds member " + Member, refused.Message, StringComparison.Ordinal);
        // Someone else's release does nothing; a clear of what was found stale removes it.
        await next.ReleaseAsync(CancellationToken.None);
        Assert.NotNull(await next.FindStaleAsync(Deadline, CancellationToken.None));
        await next.ClearAsync(stale, CancellationToken.None);
        Assert.Null(await next.FindStaleAsync(Deadline, CancellationToken.None));
        await next.AcquireAsync(Member, CancellationToken.None);
    }

    [Fact]
    public async Task A_lock_held_past_the_deadline_is_stale_even_while_renewed_but_a_record_renewed_since_it_was_found_is_not_cleared()
    {
        var ns = await server.NewNamespaceAsync();
        var clock = new ManualClock(DateTimeOffset.Parse("2026-12-07T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var holder = new KubernetesFsyncLockLease(server.Client, ns, "mg", "attempt-1", clock);
        var janitor = new KubernetesFsyncLockLease(server.Client, ns, "mg", "node", clock);
        await holder.AcquireAsync(Member, CancellationToken.None);
        for (var i = 0; i < 13; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            await holder.RenewAsync(CancellationToken.None);
        }

        var overdue = await janitor.FindStaleAsync(Deadline, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(1));
        await holder.RenewAsync(CancellationToken.None);
        await janitor.ClearAsync(overdue!, CancellationToken.None);

        Assert.NotNull(overdue);
        Assert.NotNull(await janitor.FindStaleAsync(Deadline, CancellationToken.None));
    }

    /// <summary>A clock the test moves.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
