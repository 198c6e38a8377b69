using Archiver.Emulators.MongoDb;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage;
using CsCheck;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// Point-in-time recovery is exact: for random workloads, a random backup point and a random target (an exact
/// ts, a ts excluded, a wall time with microseconds in the same millisecond as other writes, inside a
/// transaction's span), the restored database equals the source as captured at that target.
/// </summary>
public sealed class PitrProperties
{
    private static readonly Gen<(int Kind, int Coll, int Key, int Value)> Step = Gen.Select(Gen.Int[0, 11], Gen.Int[0, 2], Gen.Int[0, 12], Gen.Int[0, 50]);

    private static readonly Gen<(int, int)[]> Pick = Gen.Select(Gen.Int[0, 1000], Gen.Int[0, 999]).Array[1];

    [Fact]
    public async Task A_restore_to_any_point_after_a_backup_equals_the_source_as_it_was_at_that_point()
    {
        await using var emulator = MongoTarget.RealServerUri is null
            ? await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, TransactionEntryMaxOperations = 2 })
            : null;
        var client = TestClients.Create(MongoTarget.RealServerUri ?? emulator!.ConnectionString);
        try
        {
            await Gen.Select(Step.Array[4, 14], Gen.Int[0, 1000], Gen.Int[0, 4], Pick).SampleAsync(
                async t => await CheckAsync(client, t.Item1, t.Item2, t.Item3, t.Item4[0]),
                iter: 16,
                threads: 1);
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }

    private static async Task CheckAsync(IMongoClient client, (int Kind, int Coll, int Key, int Value)[] steps, int backupPick, int targetKind, (int Step, int Micros) pick)
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("pitr");
        var db = client.GetDatabase(source);
        var id = 100;
        var start = await Oplog.NewestAsync(client);
        var points = new List<(BsonDocument First, BsonDocument Last, DatabaseContents State)>();
        var backupAt = backupPick % steps.Length;
        var backupPoint = -1;
        await using (var run = new ArchiverRun(client, repository, o => o with { StartAfter = start }))
        {
            var seen = start;
            for (var i = 0; i < steps.Length; i++)
            {
                await PitrWorkload.RunStepAsync(client, db, steps[i], () => id++);
                var mine = await EntriesOfAsync(client, source, seen);
                if (mine.Count > 0)
                {
                    seen = OplogFields.ToStorage(mine[^1]["ts"].AsBsonTimestamp);
                    points.Add((mine[0], mine[^1], await DatabaseContents.ReadAsync(client, source)));
                }

                if (i >= backupAt && backupPoint < 0 && points.Count > 0)
                {
                    await new LogicalBackup(client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1, IncludeDatabase = d => d == source }).RunAsync();
                    backupPoint = points.Count - 1;
                }
            }

            await run.WaitArchivedAsync(await Oplog.NewestAsync(client));
        }

        if (backupPoint < 0)
        {
            return;
        }

        var (target, expected) = ChooseTarget(points, backupPoint, targetKind, pick);
        var restored = source + "_r";
        var report = await new RestoreExecutor(repository.Store, repository.Layout, client, new RestoreOptions
        {
            IncludeDatabase = d => d == source,
            MapDatabase = _ => restored,
            OwnsTargetDatabase = d => d == restored,
        }).RunAsync(target);

        var actual = await DatabaseContents.ReadAsync(client, restored);
        var history = points[expected].State.SameAs(actual)
            ? string.Empty
            : string.Join("\n", (await EntriesOfAsync(client, source, start)).Select(e => e.ToJson()));
        Assert.True(
            points[expected].State.SameAs(actual),
            $"target {target} (point {expected} of {points.Count}, backup at {backupPoint}, reached {report.ReachedTs}):\nexpected\n{points[expected].State.Describe()}\nactual\n{actual.Describe()}\noplog\n{history}");
        await client.DropDatabaseAsync(source);
        await client.DropDatabaseAsync(restored);
    }

    /// <summary>A target at or after the backup's point, and the index of the state it must restore.</summary>
    private static (RestoreTarget Target, int Expected) ChooseTarget(List<(BsonDocument First, BsonDocument Last, DatabaseContents State)> points, int backupPoint, int kind, (int Step, int Micros) pick) =>
        TargetAt(points, backupPoint, backupPoint + (pick.Step % (points.Count - backupPoint)), kind, pick.Micros);

    /// <summary>
    /// A target of the kind <paramref name="kind"/> at point <paramref name="k"/>, and the index of the state it must
    /// restore. <paramref name="floor"/> is the first point a restore reaches (a backup's, or a branch's): every state
    /// up to it is restored whatever the target says.
    /// </summary>
    private static (RestoreTarget Target, int Expected) TargetAt(List<(BsonDocument First, BsonDocument Last, DatabaseContents State)> points, int floor, int k, int kind, int micros)
    {
        OplogTimestamp Ts(BsonDocument entry) => OplogFields.ToStorage(entry["ts"].AsBsonTimestamp);
        long Wall(int i) => WallMicros(points[i].Last);
        switch (kind)
        {
            case 1 when k > floor:
                return (RestoreTarget.AtTs(Ts(points[k].First), exclusive: true), k - 1);
            case 2 when !Splits(points, floor, Wall(k) + micros, strictly: false):
                var time = Wall(k) + micros;
                return (RestoreTarget.AtTimeMicroseconds(time), LastAtOrBefore(points, floor, time, strictly: false));
            case 3 when k > floor && Wall(k) > Wall(floor) && !Splits(points, floor, Wall(k), strictly: true):
                return (RestoreTarget.AtTimeMicroseconds(Wall(k), exclusive: true), LastAtOrBefore(points, floor, Wall(k), strictly: true));
            case 4 when k > floor && points[k].First != points[k].Last && points[k].First["o"].AsBsonDocument.Contains("applyOps"):
                // Inside a transaction's span: its first chain entry is included, its commit is not.
                return (RestoreTarget.AtTs(Ts(points[k].First)), k - 1);
            default:
                return (RestoreTarget.AtTs(Ts(points[k].Last)), k);
        }
    }

    /// <summary>An entry's <c>wall</c> in Unix microseconds (a whole millisecond).</summary>
    private static long WallMicros(BsonDocument entry) => (entry["wall"].ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) / 10;

    /// <summary>
    /// A step of several plain entries (an implicit create, then the insert) has no captured state in between: a time
    /// that falls between them has no expected state, so such a target is not chosen.
    /// </summary>
    private static bool Splits(List<(BsonDocument First, BsonDocument Last, DatabaseContents State)> points, int floor, long micros, bool strictly) =>
        Enumerable.Range(floor + 1, points.Count - floor - 1).Any(i =>
            points[i].First != points[i].Last && !points[i].First.Contains("lsid")
            && (strictly ? WallMicros(points[i].First) < micros : WallMicros(points[i].First) <= micros)
            && !(strictly ? WallMicros(points[i].Last) < micros : WallMicros(points[i].Last) <= micros));

    /// <summary>The newest state a time target includes (at least the floor's).</summary>
    private static int LastAtOrBefore(List<(BsonDocument First, BsonDocument Last, DatabaseContents State)> points, int floor, long micros, bool strictly) =>
        Enumerable.Range(0, points.Count).Last(i => i <= floor || (strictly ? WallMicros(points[i].Last) < micros : WallMicros(points[i].Last) <= micros));

    /// <summary>The entries after <paramref name="after"/> that touch <paramref name="database"/> (directly or inside a transaction).</summary>
    private static async Task<List<BsonDocument>> EntriesOfAsync(IMongoClient client, string database, OplogTimestamp after)
    {
        var raw = await Oplog.RangeAsync(client, after, OplogTimestamp.FromValue(ulong.MaxValue >> 1));
        var prefix = database + ".";
        return [.. raw.Select(r => BsonSerializer.Deserialize<BsonDocument>(r.ToBson())).Where(e => Touches(e, prefix))];
    }

    private static bool Touches(BsonDocument entry, string prefix) =>
        entry.GetValue("ns", string.Empty).AsString.StartsWith(prefix, StringComparison.Ordinal)
        || (entry["o"].AsBsonDocument.TryGetValue("applyOps", out var ops) && ops.AsBsonArray.Any(o => Touches(o.AsBsonDocument, prefix)));
}
