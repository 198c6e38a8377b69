using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// <c>fsync</c> (with and without <c>lock</c>), <c>fsyncUnlock</c> and the <c>fsyncLock</c> flag of <c>currentOp</c>, as
/// mongod 7.0 implements them (mongodb/mongo <c>src/mongo/db/commands/fsync.cpp</c>, <c>current_op.cpp</c>; the manual's
/// fsync and fsyncUnlock pages). Both are admin-only and run on a secondary too. A lock count nests: each
/// <c>{fsync: 1, lock: true}</c> adds one, each fsyncUnlock takes one, and the member is unlocked when it reaches zero.
/// While a member is locked its writes wait (<see cref="Replication.MemberState"/>), it applies nothing more and its
/// data directory receives nothing; reads go on.
/// </summary>
internal static class FsyncCommands
{
    private const string SeeAlso = "http://dochub.mongodb.org/core/fsynccommand";

    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("fsync", FsyncAsync);
        dispatcher.Add("fsyncUnlock", UnlockAsync);
        dispatcher.Add("currentOp", c => Task.FromResult(CurrentOp(c)));
    }

    private static async Task<BsonDocument> FsyncAsync(CommandContext context)
    {
        Check(context);
        var state = context.State;
        var member = state.Members[context.Member];
        if (!context.Flag("lock"))
        {
            lock (state.Sync)
            {
                // flushAllFiles under a global IS lock: a checkpoint, unless the member is locked (its folder then
                // receives nothing until it is unlocked, and already holds all it has).
                if (member.FrozenAt is null)
                {
                    member.Folder?.WriteCheckpoint(state);
                }
            }

            // A dummy value since MMAPv1 went away, kept by fsync.cpp "so as not to cause unnecessary user pain".
            return new BsonDocument { { "numFiles", 1 }, { "ok", 1.0 } };
        }

        await member.CommandMutex.WaitAsync(context.Cancellation).ConfigureAwait(false);
        try
        {
            bool first;
            lock (state.Sync)
            {
                first = member.LockCount == 0;
                if (!first)
                {
                    member.LockCount++;
                }
            }

            if (first)
            {
                // The FSyncLockThread takes the global read lock (new writes queue behind it, running ones finish
                // first), flushes, and holds it.
                await member.BlockWritesAsync(context.Cancellation).ConfigureAwait(false);
                try
                {
                    lock (state.Sync)
                    {
                        state.Freeze(context.Member);
                        member.LockCount = 1;
                    }
                }
                catch
                {
                    member.UnblockWrites();
                    throw;
                }
            }

            lock (state.Sync)
            {
                return new BsonDocument
                {
                    { "info", "now locked against writes, use db.fsyncUnlock() to unlock" },
                    { "lockCount", member.LockCount },
                    { "seeAlso", SeeAlso },
                    { "ok", 1.0 },
                };
            }
        }
        finally
        {
            member.CommandMutex.Release();
        }
    }

    private static async Task<BsonDocument> UnlockAsync(CommandContext context)
    {
        Check(context);
        var state = context.State;
        var member = state.Members[context.Member];
        await member.CommandMutex.WaitAsync(context.Cancellation).ConfigureAwait(false);
        try
        {
            long left;
            lock (state.Sync)
            {
                if (member.LockCount == 0)
                {
                    throw new CommandError(ErrorCode.IllegalOperation, "fsyncUnlock called when not locked");
                }

                left = --member.LockCount;
                if (left == 0)
                {
                    state.Thaw(context.Member, running: state.MemberUp[context.Member]);
                }
            }

            if (left == 0)
            {
                member.UnblockWrites();
            }

            return new BsonDocument { { "info", "fsyncUnlock completed" }, { "lockCount", left }, { "ok", 1.0 } };
        }
        finally
        {
            member.CommandMutex.Release();
        }
    }

    /// <summary>
    /// currentOp as far as the fsync lock goes: <c>fsyncLock: true</c> and the hint mongod appends while it is locked. No
    /// operations are listed (<c>inprog</c> is empty).
    /// </summary>
    private static BsonDocument CurrentOp(CommandContext context)
    {
        AdminOnly(context);
        var reply = new BsonDocument("inprog", new BsonArray());
        lock (context.State.Sync)
        {
            if (context.State.Members[context.Member].LockCount > 0)
            {
                reply.Add("fsyncLock", true);
                reply.Add("info", "use db.fsyncUnlock() to terminate the fsync write/snapshot lock");
            }
        }

        reply.Add("ok", 1.0);
        return reply;
    }

    private static void Check(CommandContext context)
    {
        AdminOnly(context);
        if (context.View.Transaction is not null)
        {
            // Neither command is allowed in a transaction (mongodb/mongo src/mongo/db/commands.cpp,
            // CommandHelpers::canUseTransactions).
            throw new CommandError(ErrorCode.OperationNotSupportedInTransaction, $"Cannot run '{context.Name}' in a multi-document transaction.");
        }
    }

    /// <summary>What mongod answers any admin-only command run on another database (<c>Command::adminOnly</c>).</summary>
    private static void AdminOnly(CommandContext context)
    {
        if (context.Database != "admin")
        {
            throw new CommandError(ErrorCode.Unauthorized, $"{context.Name} may only be run against the admin database.");
        }
    }
}
