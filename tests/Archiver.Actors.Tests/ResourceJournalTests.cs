using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Tests;

/// <summary>
/// The embedded store and workloads write each change to their journal first: in version order per kind, before
/// any reader can see it, and a change the journal refuses does not happen.
/// </summary>
public sealed class ResourceJournalTests
{
    [Fact]
    public async Task Each_kind_reaches_the_journal_in_version_order_before_anyone_can_see_the_change()
    {
        var journal = new RecordingJournal();
        var store = new InMemoryResourceStore(TimeProvider.System, journal);
        journal.Probe = (kind, id) => kind == MongoDB.KindName
            ? store.GetAsync<MongoDB>(id).Result?.Metadata.ResourceVersion
            : store.GetAsync<MongoDBArchiver>(id).Result?.Metadata.ResourceVersion;
        // Two writers on each of two kinds, each on its own object, all at once.
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            Resource resource = w % 2 == 0 ? Fixtures.Database($"db-{w}") : Fixtures.Archiver(name: $"archiver-{w}");
            for (var i = 0; i < 100; i++)
            {
                resource.Metadata.Labels = new Dictionary<string, string> { ["round"] = $"{i}" };
                resource = i == 0 ? await store.CreateAsync((dynamic)resource) : await store.ReplaceAsync((dynamic)resource);
            }
        })).ToArray();
        await Task.WhenAll(writers);

        foreach (var kind in journal.Entries.GroupBy(e => e.Kind))
        {
            var versions = kind.Select(e => long.Parse(e.Version!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(versions.Order(), versions);
            Assert.Equal(200, versions.Distinct().Count());
        }

        // Each reader saw the version before (or nothing), never the one being written.
        Assert.All(journal.Entries, e => Assert.NotEqual(e.Version, e.SeenWhileWriting));
        var last = (await store.GetAsync<MongoDB>(new ResourceId("demo", "db-0")))!;
        Assert.Equal(last.Metadata.ResourceVersion, journal.Entries.Last(e => e.Id == "demo/db-0").Version);
    }

    [Fact]
    public async Task A_write_the_journal_refuses_is_neither_stored_nor_seen_by_a_watcher()
    {
        var journal = new RecordingJournal();
        var store = new InMemoryResourceStore(TimeProvider.System, journal);
        var kept = await store.CreateAsync(Fixtures.Database("kept"));
        using var watching = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var events = store.WatchAsync(watching.Token).GetAsyncEnumerator(watching.Token);
        var next = events.MoveNextAsync();

        journal.RefuseNext = true;
        await Assert.ThrowsAsync<IOException>(() => store.CreateAsync(Fixtures.Database("refused")));
        journal.RefuseNext = true;
        kept.Metadata.Labels = new Dictionary<string, string> { ["changed"] = "yes" };
        await Assert.ThrowsAsync<IOException>(() => store.ReplaceAsync(kept));
        journal.RefuseNext = true;
        await Assert.ThrowsAsync<IOException>(() => store.DeleteAsync<MongoDB>(ResourceId.Of(kept)));
        await store.CreateAsync(Fixtures.Database("accepted"));

        Assert.Null(await store.GetAsync<MongoDB>(new ResourceId("demo", "refused")));
        var stillThere = (await store.GetAsync<MongoDB>(ResourceId.Of(kept)))!;
        Assert.Equal("true", stillThere.Metadata.Labels!["archiver"]);
        Assert.False(stillThere.Metadata.Labels.ContainsKey("changed"));
        // The first change a watcher hears of is the accepted one.
        Assert.True(await next);
        Assert.Equal("accepted", events.Current.Resource.Metadata.Name);
    }

    [Fact]
    public async Task An_archiving_change_is_journaled_before_it_happens_and_a_refused_one_does_not_happen()
    {
        var journal = new RecordingJournal();
        var workloads = new InProcessWorkloads(journal);
        var changes = new List<string>();
        workloads.ArchivingChanged += (database, spec) => changes.Add($"{database} {spec?.SpecHash ?? "off"}");
        var database = new ResourceId("demo", "mg-rs");

        journal.RefuseNext = true;
        await Assert.ThrowsAsync<IOException>(() => workloads.EnsureArchivingAsync(database, Spec("h1")));
        Assert.Empty(workloads.Archiving);
        Assert.Empty(changes);

        await workloads.EnsureArchivingAsync(database, Spec("h1"));
        await workloads.EnsureArchivingAsync(database, Spec("h1"));
        await workloads.EnsureArchivingAsync(database, Spec("h2"));
        journal.RefuseNext = true;
        await Assert.ThrowsAsync<IOException>(() => workloads.StopArchivingAsync(database));
        Assert.Equal("h2", workloads.Archiving[database].SpecHash);
        await workloads.StopArchivingAsync(database);
        await workloads.StopArchivingAsync(database);

        // Only real changes, each once.
        Assert.Equal(["demo/mg-rs h1", "demo/mg-rs h2", "demo/mg-rs off"], journal.Entries.Select(e => $"{e.Id} {e.Version}"));
        Assert.Equal(["demo/mg-rs h1", "demo/mg-rs h2", "demo/mg-rs off"], changes);
    }

    private static ArchivingSpec Spec(string hash) => new(new ResourceId("stash", "local-storage"), "db/MongoDB/demo/mg-rs", hash, TimeSpan.FromSeconds(1), 1 << 24);
}
