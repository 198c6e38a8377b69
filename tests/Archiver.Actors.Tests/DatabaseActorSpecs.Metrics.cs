using Akka.Actor;
using Archiver.Actors.Databases;
using Archiver.Actors.Metrics;
using Archiver.Messages.Protocol.Databases;

namespace Archiver.Actors.Tests;

public sealed partial class DatabaseActorSpecs
{
    [Fact]
    public async Task The_entity_exports_its_written_status_and_backups_while_it_runs_and_nothing_once_it_stops()
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}", settings: new DatabaseSettings { ObserveInterval = TimeSpan.FromMilliseconds(200) });
        await StateAsync(db, s => s.Schedule is not null);
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        await StateAsync(db, s => s.LastSucceeded is not null);
        var metrics = NodeMetrics.For(Sys);

        await AwaitAssertAsync(async () =>
        {
            var (_, exported) = Assert.Single(metrics.Databases(), d => d.Database == Fixtures.DatabaseId);
            var status = (await _store.GetAsync<Messages.Resources.MongoDB>(Fixtures.DatabaseId))!.Status!.Archiver!;
            Assert.Equal(1, exported.BackupsSucceeded);
            Assert.Equal(TimeSpan.FromHours(1), exported.ScheduleInterval);
            Assert.Equal(TimeSpan.FromSeconds(30), exported.LagThreshold);
            // As exported (milliseconds); the store keeps microseconds.
            Assert.Equal(status.LastFullBackup!.Value.ToUnixTimeMilliseconds(), exported.Status.LastFullBackup!.Value.ToUnixTimeMilliseconds());
            Assert.Equal(status.Phase, exported.Status.Phase);
        }, TimeSpan.FromSeconds(10));
        Assert.Equal(1, metrics.Entities()["database"]);

        await db.GracefulStop(TimeSpan.FromSeconds(5));

        Assert.DoesNotContain(metrics.Databases(), d => d.Database == Fixtures.DatabaseId);
        Assert.Equal(0, metrics.Entities()["database"]);
    }

    [Fact]
    public void A_stopped_entitys_late_write_does_not_bring_its_database_back_nor_take_it_from_the_entity_that_took_over()
    {
        var metrics = new NodeMetrics();
        var (old, taker) = (new object(), new object());
        metrics.Claim(Fixtures.DatabaseId, old);
        metrics.Release(Fixtures.DatabaseId, old);
        metrics.Set(Fixtures.DatabaseId, old, new DatabaseMetrics());
        Assert.Empty(metrics.Databases());

        metrics.Claim(Fixtures.DatabaseId, taker);
        metrics.Set(Fixtures.DatabaseId, taker, new DatabaseMetrics { BackupsSucceeded = 2 });
        metrics.Set(Fixtures.DatabaseId, old, new DatabaseMetrics { BackupsSucceeded = 1 });
        metrics.Release(Fixtures.DatabaseId, old);

        Assert.Equal(2, Assert.Single(metrics.Databases()).Values.BackupsSucceeded);
    }
}
