using System.Net;
using Archiver.Emulators.MongoDb;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// Members that keep their data in folders (<see cref="MongoEmulatorOptions.DataDirectories"/>): a set restarted from
/// its folders, or started from copies of them, holds exactly what it held; a folder copied while its member is
/// fsync-locked is a consistent backup of the state at the lock; a torn copy refuses to start, naming the file.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class DataDirectoryTests
{
    private static readonly BsonDocument Lock = new() { { "fsync", 1 }, { "lock", true } };
    private static readonly BsonDocument Unlock = new("fsyncUnlock", 1);

    [EmulatorOnlyFact]
    public async Task A_set_restarted_from_its_folders_or_started_from_copies_of_them_holds_the_same_data_catalog_and_oplog()
    {
        using var temp = new TempFolder();
        var options = Options(temp, "a", 2) with { TransactionEntryMaxOperations = 2 };
        string before;
        await using (var session = await EmulatorSession.StartAsync(options))
        {
            await WorkloadAsync(session.Client);
            before = await ObservableState.CaptureAsync(session.Client);
            // Copied while running and idle: the journal holds everything since the start's checkpoint, replayed at start.
            await TempFolder.CopyAsync(temp.Sub("a0"), temp.Sub("c0"));
            await TempFolder.CopyAsync(temp.Sub("a1"), temp.Sub("c1"));
        }

        string restarted, fromCopies;
        await using (var session = await EmulatorSession.StartAsync(options))
        {
            restarted = await ObservableState.CaptureAsync(session.Client);
        }

        await using (var session = await EmulatorSession.StartAsync(options with { DataDirectories = [temp.Sub("c0"), temp.Sub("c1")] }))
        {
            fromCopies = await ObservableState.CaptureAsync(session.Client);
            var last = session.Emulator.LastAppliedTimestamp;
            await session.Client.GetDatabase("shop").GetCollection<BsonDocument>("orders").InsertOneAsync(new BsonDocument("_id", "after"));
            Assert.True(session.Emulator.LastAppliedTimestamp.CompareTo(last) > 0);
        }

        foreach (var written in new[] { "audit2", "bigOrders", "system.buckets.metrics", "system.users", "system.roles", "price_-1", "mine", "partialTxn", "commitIndexBuild", "67108864" })
        {
            Assert.Contains(written, before, StringComparison.Ordinal);
        }

        Assert.Equal(before, restarted);
        Assert.Equal(before, fromCopies);
    }

    [EmulatorOnlyFact]
    public async Task A_folder_copied_file_by_file_while_its_member_is_locked_restores_exactly_the_state_at_the_lock()
    {
        using var temp = new TempFolder();
        var rounds = new List<(string Folder, BsonTimestamp Ts, string Hash)>();
        await using (var session = await EmulatorSession.StartAsync(Options(temp, "m", 2)))
        {
            var secondary = TestClients.Create($"mongodb://{session.Emulator.Hosts[1]}/?directConnection=true&readPreference=secondaryPreferred");
            using var stop = new CancellationTokenSource();
            var writer = WriteUntilAsync(session.Client.GetDatabase("d").GetCollection<BsonDocument>("c"), stop.Token);
            try
            {
                for (var round = 0; round < 4; round++)
                {
                    await Task.Delay(50);
                    await secondary.GetDatabase("admin").RunCommandAsync<BsonDocument>(Lock);
                    var ts = await OplogReader.NewestTimestampAsync(secondary);
                    var hash = (await secondary.GetDatabase("d").RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1)))["md5"].AsString;
                    var copy = temp.Sub($"snapshot{round}");
                    await TempFolder.CopyAsync(temp.Sub("m1"), copy, TimeSpan.FromMilliseconds(30));
                    await secondary.GetDatabase("admin").RunCommandAsync<BsonDocument>(Unlock);
                    rounds.Add((copy, ts, hash));
                }
            }
            finally
            {
                await stop.CancelAsync();
                await writer;
                TestClients.Dispose(secondary);
            }

            Assert.True(session.Emulator.LastAppliedTimestamp.CompareTo(rounds[^1].Ts) > 0, "the primary wrote nothing while the secondary was locked");
        }

        foreach (var (folder, ts, hash) in rounds)
        {
            // A restore: a new replica set whose members' folders are copies of the snapshot.
            var members = Enumerable.Range(0, 3).Select(i => $"{folder}-r{i}").ToList();
            foreach (var member in members)
            {
                await TempFolder.CopyAsync(folder, member);
            }

            await using var restored = await EmulatorSession.StartAsync(new MongoEmulatorOptions
            {
                Members = 3,
                ReplicaSetName = "restored",
                PeriodicNoopInterval = null,
                DataDirectories = members,
            });
            var hello = await restored.Client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));
            var restoredHash = (await restored.Client.GetDatabase("d").RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1)))["md5"].AsString;

            Assert.Equal(ts, await OplogReader.NewestTimestampAsync(restored.Client));
            Assert.Equal(hash, restoredHash);
            Assert.Equal("restored", hello["setName"].AsString);
            Assert.Equal(new BsonArray(restored.Emulator.Hosts), hello["hosts"]);
        }
    }

    [EmulatorOnlyFact]
    public async Task The_set_starts_from_the_folder_that_reached_furthest_and_the_others_catch_up_from_it()
    {
        using var temp = new TempFolder();
        var options = Options(temp, "n", 2);
        await using (var session = await EmulatorSession.StartAsync(options))
        {
            var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
            await coll.InsertOneAsync(new BsonDocument("_id", "before"));
            var secondary = TestClients.Create($"mongodb://{session.Emulator.Hosts[1]}/?directConnection=true");
            try
            {
                await secondary.GetDatabase("admin").RunCommandAsync<BsonDocument>(Lock);
                await coll.InsertOneAsync(new BsonDocument("_id", "while locked"));
            }
            finally
            {
                TestClients.Dispose(secondary);
            }

            // Stopped with member 1 still locked: its folder holds the state at the lock, member 0's everything.
        }

        await using (var session = await EmulatorSession.StartAsync(options))
        {
            var ids = await session.Client.GetDatabase("d").GetCollection<BsonDocument>("c").Find(FilterDefinition<BsonDocument>.Empty).Project(new BsonDocument("_id", 1)).ToListAsync();
            Assert.Equal(["before", "while locked"], ids.Select(d => d["_id"].AsString).Order(StringComparer.Ordinal));
        }

        // Member 1's folder caught up at that start: alone, it has both.
        await using (var session = await EmulatorSession.StartAsync(Options(temp, "n", 2) with { Members = 1, DataDirectories = [temp.Sub("n1")] }))
        {
            Assert.Equal(2, await session.Client.GetDatabase("d").GetCollection<BsonDocument>("c").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        }
    }

    [EmulatorOnlyFact]
    public async Task A_checkpoint_beside_the_journal_of_another_generation_refuses_to_start_naming_the_journal()
    {
        using var temp = new TempFolder();
        await using (var session = await EmulatorSession.StartAsync(Options(temp, "g", 1)))
        {
            var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
            await coll.InsertOneAsync(new BsonDocument("_id", 1));
            await TempFolder.CopyAsync(temp.Sub("g0"), temp.Sub("torn"));
            await session.Client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("fsync", 1));
            await coll.InsertOneAsync(new BsonDocument("_id", 2));
            // The checkpoint copied after the fsync, the journal before it: a copy taken across a checkpoint.
            File.Copy(Path.Combine(temp.Sub("g0"), "checkpoint.bin"), Path.Combine(temp.Sub("torn"), "checkpoint.bin"), overwrite: true);
        }

        var error = await Assert.ThrowsAsync<MongoDataDirectoryException>(() => MongoEmulator.StartAsync(Options(temp, "unused", 1) with { DataDirectories = [temp.Sub("torn")] }));

        Assert.Equal(Path.Combine(temp.Sub("torn"), "journal.bin"), error.Path);
        Assert.Contains("follows checkpoint generation 1", error.Reason, StringComparison.Ordinal);
        Assert.Contains("generation 2", error.Reason, StringComparison.Ordinal);
        Assert.StartsWith(error.Path, error.Message, StringComparison.Ordinal);
    }

    [EmulatorOnlyFact]
    public async Task A_checkpoint_cut_short_or_with_a_bad_checksum_refuses_to_start_naming_the_checkpoint()
    {
        using var temp = new TempFolder();
        await using (var session = await EmulatorSession.StartAsync(Options(temp, "s", 1)))
        {
            await session.Client.GetDatabase("d").GetCollection<BsonDocument>("c").InsertManyAsync(Enumerable.Range(0, 100).Select(i => new BsonDocument { { "_id", i }, { "pad", new string('x', 100) } }));
        }

        await TempFolder.CopyAsync(temp.Sub("s0"), temp.Sub("short"));
        await TempFolder.CopyAsync(temp.Sub("s0"), temp.Sub("flipped"));
        var shortCheckpoint = Path.Combine(temp.Sub("short"), "checkpoint.bin");
        var flippedCheckpoint = Path.Combine(temp.Sub("flipped"), "checkpoint.bin");
        using (var file = new FileStream(shortCheckpoint, FileMode.Open))
        {
            file.SetLength(file.Length / 2);
        }

        var bytes = await File.ReadAllBytesAsync(flippedCheckpoint);
        bytes[bytes.Length / 2] ^= 0x55;
        await File.WriteAllBytesAsync(flippedCheckpoint, bytes);

        var cut = await Assert.ThrowsAsync<MongoDataDirectoryException>(() => MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, DataDirectories = [temp.Sub("short")] }));
        var flipped = await Assert.ThrowsAsync<MongoDataDirectoryException>(() => MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, DataDirectories = [temp.Sub("flipped")] }));

        Assert.Equal(shortCheckpoint, cut.Path);
        Assert.Contains("cut short", cut.Reason, StringComparison.Ordinal);
        Assert.Equal(flippedCheckpoint, flipped.Path);
        Assert.Contains("fails its CRC-32C check", flipped.Reason, StringComparison.Ordinal);
    }

    [EmulatorOnlyFact]
    public async Task A_torn_journal_tail_is_dropped_and_the_rest_loads_but_a_bad_record_in_the_middle_refuses_to_start()
    {
        using var temp = new TempFolder();
        BsonTimestamp second;
        await using (var session = await EmulatorSession.StartAsync(Options(temp, "j", 1)))
        {
            var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
            await coll.InsertOneAsync(new BsonDocument("_id", 1));
            await coll.InsertOneAsync(new BsonDocument("_id", 2));
            second = session.Emulator.LastAppliedTimestamp;
            await coll.InsertOneAsync(new BsonDocument("_id", 3));
            await TempFolder.CopyAsync(temp.Sub("j0"), temp.Sub("tail"));
            await TempFolder.CopyAsync(temp.Sub("j0"), temp.Sub("garbled"));
            await TempFolder.CopyAsync(temp.Sub("j0"), temp.Sub("middle"));
        }

        // Cut inside the last record (a write the copy caught half done), or whole but not what was written.
        var tail = Path.Combine(temp.Sub("tail"), "journal.bin");
        using (var file = new FileStream(tail, FileMode.Open))
        {
            file.SetLength(file.Length - 3);
        }

        var garbled = Path.Combine(temp.Sub("garbled"), "journal.bin");
        var last = await File.ReadAllBytesAsync(garbled);
        last[^2] ^= 0x55;
        await File.WriteAllBytesAsync(garbled, last);

        var middle = Path.Combine(temp.Sub("middle"), "journal.bin");
        var bytes = await File.ReadAllBytesAsync(middle);
        bytes[bytes.Length / 2] ^= 0x55;
        await File.WriteAllBytesAsync(middle, bytes);

        foreach (var torn in new[] { temp.Sub("tail"), temp.Sub("garbled") })
        {
            await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, DataDirectories = [torn] });
            var ids = await session.Client.GetDatabase("d").GetCollection<BsonDocument>("c").Find(FilterDefinition<BsonDocument>.Empty).ToListAsync();
            Assert.Equal([1, 2], ids.Select(d => d["_id"].AsInt32));
            Assert.Equal(second, await OplogReader.NewestTimestampAsync(session.Client));
        }

        var corrupt = await Assert.ThrowsAsync<MongoDataDirectoryException>(() => MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, DataDirectories = [temp.Sub("middle")] }));
        Assert.Equal(middle, corrupt.Path);
        Assert.Contains("records follow it", corrupt.Reason, StringComparison.Ordinal);
    }

    [EmulatorOnlyFact]
    public async Task Data_directories_must_be_one_per_member_and_a_journal_needs_its_checkpoint()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Sub("orphan"));
        await File.WriteAllBytesAsync(Path.Combine(temp.Sub("orphan"), "journal.bin"), [1, 2, 3]);

        await Assert.ThrowsAsync<ArgumentException>(() => MongoEmulator.StartAsync(new MongoEmulatorOptions { Members = 2, DataDirectories = [temp.Sub("x")] }));
        await Assert.ThrowsAsync<ArgumentException>(() => MongoEmulator.StartAsync(new MongoEmulatorOptions { Members = 2, DataDirectories = [temp.Sub("x"), temp.Sub("x")] }));
        var orphan = await Assert.ThrowsAsync<MongoDataDirectoryException>(() => MongoEmulator.StartAsync(new MongoEmulatorOptions { DataDirectories = [temp.Sub("orphan")] }));
        Assert.Equal(Path.Combine(temp.Sub("orphan"), "journal.bin"), orphan.Path);
    }

    /// <summary>
    /// A member whose folder is not known when the set starts (a pod whose claim is not bound yet) is given it when it
    /// starts: it joins the running set, its folder written afresh with everything (whatever it held), journals from
    /// then on, and a set started from that folder alone has it all. Another member's folder and a serving member are refused.
    /// </summary>
    [EmulatorOnlyFact]
    public async Task A_member_given_its_folder_when_it_starts_catches_up_into_it_and_journals_from_then_on()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Sub("late"));
        await File.WriteAllTextAsync(Path.Combine(temp.Sub("late"), "checkpoint.bin"), "not a checkpoint: replaced, never read");
        await using (var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { Members = 2, PeriodicNoopInterval = null, DataDirectories = [temp.Sub("first"), null] }))
        {
            var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
            await coll.InsertOneAsync(new BsonDocument("_id", "before"));
            await session.Emulator.StopMemberAsync(1);

            Assert.Throws<InvalidOperationException>(() => session.Emulator.StartMember(0, new IPEndPoint(IPAddress.Loopback, 0), temp.Sub("late")));
            Assert.Throws<ArgumentException>(() => session.Emulator.StartMember(1, new IPEndPoint(IPAddress.Loopback, 0), temp.Sub("first")));
            session.Emulator.StartMember(1, new IPEndPoint(IPAddress.Loopback, 0), temp.Sub("late"));
            await coll.InsertOneAsync(new BsonDocument("_id", "after"));
        }

        await using (var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, DataDirectories = [temp.Sub("late")] }))
        {
            var ids = await session.Client.GetDatabase("d").GetCollection<BsonDocument>("c").Find(FilterDefinition<BsonDocument>.Empty).ToListAsync();
            Assert.Equal(["after", "before"], ids.Select(d => d["_id"].AsString).Order(StringComparer.Ordinal));
        }
    }

    private static MongoEmulatorOptions Options(TempFolder temp, string prefix, int members) => new()
    {
        Members = members,
        PeriodicNoopInterval = null,
        DataDirectories = Enumerable.Range(0, members).Select(i => temp.Sub($"{prefix}{i}")).ToList(),
    };

    private static async Task WriteUntilAsync(IMongoCollection<BsonDocument> coll, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            await coll.InsertOneAsync(new BsonDocument { { "_id", i }, { "n", 0 } }, cancellationToken: CancellationToken.None);
            if (i > 0)
            {
                await coll.UpdateOneAsync(new BsonDocument("_id", i - 1), new BsonDocument("$inc", new BsonDocument("n", 1)), cancellationToken: CancellationToken.None);
            }
        }
    }

    /// <summary>Every kind of write the emulator logs (and one it does not: to <c>local</c>), so each has to survive a restart.</summary>
    private static async Task WorkloadAsync(MongoClient client)
    {
        var shop = client.GetDatabase("shop");
        var admin = client.GetDatabase("admin");
        await shop.RunCommandAsync<BsonDocument>(new BsonDocument { { "create", "orders" }, { "validator", new BsonDocument("x", new BsonDocument("$exists", true)) } });
        var orders = shop.GetCollection<BsonDocument>("orders");
        await orders.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(new BsonDocument("x", 1), new CreateIndexOptions { Name = "x_1" }));
        await orders.InsertManyAsync(Enumerable.Range(0, 50).Select(i => new BsonDocument
        {
            { "_id", i },
            { "x", i },
            { "big", (long)i << 40 },
            { "price", i * 1.5 },
            { "exact", new Decimal128(i) },
            { "at", new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i) },
            { "tags", new BsonArray { "a", i } },
            { "nested", new BsonDocument { { "b", i }, { "c", new BsonBinaryData([1, 2, (byte)i]) } } },
        }));
        await orders.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(new BsonDocument("price", -1), new CreateIndexOptions { Name = "price_-1", Unique = true }));
        await orders.UpdateManyAsync(new BsonDocument("x", new BsonDocument("$lt", 10)), new BsonDocument { { "$inc", new BsonDocument("x", 100) }, { "$set", new BsonDocument("nested.b", "changed") }, { "$push", new BsonDocument("tags", "pushed") } });
        await orders.UpdateOneAsync(new BsonDocument("_id", 20), new BsonDocument("$unset", new BsonDocument("price", "")));
        await orders.ReplaceOneAsync(new BsonDocument("_id", 21), new BsonDocument { { "_id", 21 }, { "x", "replaced" } });
        await orders.UpdateOneAsync(new BsonDocument("_id", 999), new BsonDocument("$set", new BsonDocument("x", "upserted")), new UpdateOptions { IsUpsert = true });
        await orders.DeleteManyAsync(new BsonDocument("x", new BsonDocument("$gte", 40).Add("$lt", 45)));
        await orders.Indexes.DropOneAsync("x_1");
        await shop.RunCommandAsync<BsonDocument>(new BsonDocument { { "create", "bigOrders" }, { "viewOn", "orders" }, { "pipeline", new BsonArray { new BsonDocument("$match", new BsonDocument("x", new BsonDocument("$gt", 10))) } } });
        await shop.RunCommandAsync<BsonDocument>(new BsonDocument { { "create", "metrics" }, { "timeseries", new BsonDocument { { "timeField", "t" }, { "metaField", "m" } } } });
        await shop.GetCollection<BsonDocument>("metrics").InsertManyAsync(Enumerable.Range(0, 10).Select(i => new BsonDocument { { "t", new DateTime(2024, 1, 1, 0, 0, i, DateTimeKind.Utc) }, { "m", i % 2 }, { "v", i } }));
        await shop.RunCommandAsync<BsonDocument>(new BsonDocument { { "createRole", "reader" }, { "privileges", new BsonArray() }, { "roles", new BsonArray() } });
        await shop.RunCommandAsync<BsonDocument>(new BsonDocument { { "createUser", "app" }, { "pwd", "secret" }, { "roles", new BsonArray { "read" } } });
        await shop.RunCommandAsync<BsonDocument>(new BsonDocument { { "grantRolesToUser", "app" }, { "roles", new BsonArray { "reader" } } });
        using (var session = await client.StartSessionAsync())
        {
            session.StartTransaction();
            await orders.InsertManyAsync(session, Enumerable.Range(100, 5).Select(i => new BsonDocument { { "_id", i }, { "x", i } }));
            await shop.GetCollection<BsonDocument>("audit").InsertOneAsync(session, new BsonDocument("_id", "in a transaction"));
            await orders.UpdateOneAsync(session, new BsonDocument("_id", 100), new BsonDocument("$set", new BsonDocument("x", "committed")));
            await session.CommitTransactionAsync();
        }

        await admin.RunCommandAsync<BsonDocument>(new BsonDocument("applyOps", new BsonArray
        {
            new BsonDocument { { "op", "c" }, { "ns", "shop.$cmd" }, { "o", new BsonDocument { { "renameCollection", "shop.audit" }, { "to", "shop.audit2" } } } },
            new BsonDocument { { "op", "c" }, { "ns", "shop.$cmd" }, { "o", new BsonDocument { { "collMod", "orders" }, { "validationLevel", "off" } } } },
            new BsonDocument { { "op", "i" }, { "ns", "shop.orders" }, { "o", new BsonDocument { { "_id", 1000 }, { "x", "applied" } } } },
            new BsonDocument { { "op", "u" }, { "ns", "shop.orders" }, { "o2", new BsonDocument("_id", 1) }, { "o", new BsonDocument { { "$v", 2 }, { "diff", new BsonDocument("u", new BsonDocument("x", "diffed")) } } } },
        }));
        await shop.GetCollection<BsonDocument>("tmp").InsertOneAsync(new BsonDocument("_id", 1));
        await shop.DropCollectionAsync("tmp");
        await client.GetDatabase("scratch").GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("_id", 1));
        await client.DropDatabaseAsync("scratch");
        var local = client.GetDatabase("local").GetCollection<BsonDocument>("mine");
        await local.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "n", 1 } });
        await local.UpdateOneAsync(new BsonDocument("_id", 1), new BsonDocument("$inc", new BsonDocument("n", 1)));
        await local.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(new BsonDocument("n", 1)));
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "replSetResizeOplog", 1 }, { "size", 64.0 } });
    }
}
