using Archiver.Actors.Databases;
using Archiver.Actors.Ports;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Tests;

public sealed class DatabaseMutatorTests
{
    private static readonly IReadOnlyList<NamespaceInfo> Namespaces = [new("demo", new Dictionary<string, string>()), new("kubedb", new Dictionary<string, string>())];

    [Fact]
    public void A_new_database_gets_the_archiver_that_selects_it()
    {
        var db = DatabaseMutator.Mutate(Fixtures.Database(), [Fixtures.Archiver()], Namespaces);
        Assert.Equal(new ObjectRef { Name = "archiver-demo", Namespace = "kubedb" }, db.Spec!.Archiver!.Ref);
    }

    [Fact]
    public void A_database_no_archiver_selects_is_left_alone()
    {
        var db = Fixtures.Database(selected: false);
        Assert.Same(db, DatabaseMutator.Mutate(db, [Fixtures.Archiver()], Namespaces));
    }

    [Fact]
    public void A_database_that_names_its_archiver_keeps_it()
    {
        var db = Fixtures.Database();
        db = db with { Spec = db.Spec! with { Archiver = new DatabaseArchiverRef { Ref = new ObjectRef { Name = "mine", Namespace = "demo" } } } };
        Assert.Same(db, DatabaseMutator.Mutate(db, [Fixtures.Archiver()], Namespaces));
    }

    [Fact]
    public void Of_two_selecting_archivers_the_oldest_is_chosen_and_a_paused_one_never()
    {
        var older = Fixtures.Archiver(name: "older");
        older.Metadata.CreationTimestamp = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var newer = Fixtures.Archiver(name: "newer");
        newer.Metadata.CreationTimestamp = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal("older", DatabaseMutator.Mutate(Fixtures.Database(), [newer, older], Namespaces).Spec!.Archiver!.Ref!.Name);
        var paused = older with { Spec = older.Spec! with { Pause = true } };
        Assert.Equal("newer", DatabaseMutator.Mutate(Fixtures.Database(), [newer, paused], Namespaces).Spec!.Archiver!.Ref!.Name);
    }
}
