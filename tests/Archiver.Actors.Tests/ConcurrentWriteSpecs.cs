using Archiver.Actors.Embedded;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;
using k8s.Models;

namespace Archiver.Actors.Tests;

/// <summary>
/// Two writers on one object, as in a cluster (an ops request's step and a database's observation both write the
/// database's status): the one that loses the race reads again and decides again, so both changes land, and a
/// write meant for a database deleted meanwhile lands on no other.
/// </summary>
public sealed class ConcurrentWriteSpecs
{
    [Fact]
    public async Task A_step_whose_status_write_loses_a_race_with_the_observation_decides_again_and_both_land()
    {
        var store = await Fixtures.StoreWithAsync(Fixtures.Archiver(), Fixtures.Database());
        // The observation writes the lag between the step's read and its write.
        var racing = new InterleavingStore(store, () => store.UpdateStatusAsync<MongoDB>(Fixtures.DatabaseId, db => db with
        {
            Status = (db.Status ?? new MongoDBStatus()) with { Archiver = (db.Status?.Archiver ?? new DatabaseArchiverStatus()) with { Lag = "5s" } },
        }));

        await new OpsRequestSteps(racing, new InProcessWorkloads(), TimeProvider.System).RunAsync(OpsRequestStep.UpdateDatabase, Request(), CancellationToken.None);

        var status = (await store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Status!.Archiver!;
        Assert.Equal(1, racing.Conflicts);
        Assert.Equal(DatabaseArchiverPhase.Archiving, status.Phase);
        Assert.Equal(SpecHash.Compute(Fixtures.Archiver().Spec!), status.SpecHash);
        Assert.Equal("5s", status.Lag);
    }

    [Fact]
    public async Task A_steps_status_meant_for_a_database_deleted_meanwhile_lands_on_no_other_of_its_name()
    {
        var store = await Fixtures.StoreWithAsync(Fixtures.Archiver(), Fixtures.Database());
        var racing = new InterleavingStore(store, async () =>
        {
            await store.DeleteAsync<MongoDB>(Fixtures.DatabaseId);
            await store.CreateAsync(Fixtures.Database());
        });

        await new OpsRequestSteps(racing, new InProcessWorkloads(), TimeProvider.System).RunAsync(OpsRequestStep.UpdateDatabase, Request(), CancellationToken.None);

        Assert.Null((await store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Status?.Archiver);
    }

    private static OpsRequestState Request() => OpsRequestState.Empty(new ResourceId("demo", "mg-rs-configure")) with
    {
        Operation = ArchiverOperationType.ConfigureArchiver,
        DatabaseId = Fixtures.DatabaseId,
        ArchiverId = Fixtures.ArchiverId,
        SpecHash = SpecHash.Compute(Fixtures.Archiver().Spec!),
    };

    /// <summary>A store in which another writer gets in just before the first status write, once.</summary>
    private sealed class InterleavingStore(IResourceStore store, Func<Task> otherWriter) : IResourceStore
    {
        private Func<Task>? _pending = otherWriter;

        public int Conflicts { get; private set; }

        public async Task<T> ReplaceStatusAsync<T>(T resource, CancellationToken cancellation = default)
            where T : Resource
        {
            if (Interlocked.Exchange(ref _pending, null) is { } other) await other();
            try
            {
                return await store.ReplaceStatusAsync(resource, cancellation);
            }
            catch (ResourceConflictException)
            {
                Conflicts++;
                throw;
            }
        }

        public Task<T?> GetAsync<T>(ResourceId id, CancellationToken cancellation = default)
            where T : Resource => store.GetAsync<T>(id, cancellation);

        public Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace = null, CancellationToken cancellation = default)
            where T : Resource => store.ListAsync<T>(@namespace, cancellation);

        public Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace, V1LabelSelector labelSelector, CancellationToken cancellation = default)
            where T : Resource => store.ListAsync<T>(@namespace, labelSelector, cancellation);

        public Task<T> CreateAsync<T>(T resource, CancellationToken cancellation = default)
            where T : Resource => store.CreateAsync(resource, cancellation);

        public Task<T> ReplaceAsync<T>(T resource, CancellationToken cancellation = default)
            where T : Resource => store.ReplaceAsync(resource, cancellation);

        public Task<bool> DeleteAsync<T>(ResourceId id, CancellationToken cancellation = default)
            where T : Resource => store.DeleteAsync<T>(id, cancellation);

        public Task<IReadOnlyList<NamespaceInfo>> ListNamespacesAsync(CancellationToken cancellation = default) => store.ListNamespacesAsync(cancellation);

        public IAsyncEnumerable<ResourceEvent> WatchAsync(CancellationToken cancellation) => store.WatchAsync(cancellation);
    }
}
