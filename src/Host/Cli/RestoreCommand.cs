using System.CommandLine;
using System.Text.Json.Nodes;
using Archiver.Host.Api;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;
using Spectre.Console;

namespace Archiver.Host.Cli;

/// <summary><c>archiver restore DB --at TS --into NS/NAME</c>: a new database restored to a point in time, with progress.</summary>
public static class RestoreCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var database = CommandRunner.DatabaseArgument();
        var at = new Option<string>("--at") { Description = "The target time, RFC 3339 with up to microseconds; every entry at or before it is restored.", Required = true };
        var into = new Option<string>("--into") { Description = "The new MongoDB resource, NAMESPACE/NAME; it must not exist.", Required = true };
        var secret = new Option<string?>("--connection-secret") { Description = "Secret (in the new database's namespace) whose 'uri' reaches the replica set to restore into." };
        var databases = new Option<string?>("--databases") { Description = "Restore only these source databases, renamed where given: shop=shop_copy,crm." };
        var noUsers = new Option<bool>("--no-users-and-roles") { Description = "Leave out the users and roles defined on the restored databases (by default they are restored, renamed with their databases)." };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the restore is requested." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the restore to finish.", DefaultValueFactory = _ => 6 * 3600 };
        var ns = CommandRunner.NamespaceOption();
        var node = NodeClient.NodeOption();
        var token = NodeClient.TokenOption();
        var command = new Command("restore", """
            Restore a database's archived history into a new database, to exactly a point in time: the newest full
            backup before it, then the oplog replayed up to it. The plan is checked first: a time no window covers
            exits 1 with the nearest recoverable times. Progress shows entries, bytes, rate and ETA; exits 3 if the
            restore fails (the target is then marked incomplete, never reported good).

            Example:
              archiver restore demo/mg-rs --at 2026-11-25T17:00:00.123456Z --into demo/mg-rs-copy --connection-secret mg-rs-copy
            """)
        {
            database, at, into, secret, databases, noUsers, noWait, timeout, ns, node, token,
        };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync("restore", error, async () =>
        {
            var id = CommandRunner.ParseId(parse.GetValue(database)!, parse.GetValue(ns)!, "database");
            var target = CommandRunner.ParseId(parse.GetValue(into)!, parse.GetValue(ns)!, "--into");
            using var client = NodeClient.From(parse, node, token);
            var plan = await PlanCommand.FetchAsync(client, id, parse.GetValue(at)!, cancellation);
            var request = new RestoreRequest(parse.GetValue(at)!, target.ToString(), parse.GetValue(secret), parse.GetValue(databases), parse.GetValue(noUsers));
            var started = await client.PostAsync<RestoreResponse>($"api/v1/databases/{CommandRunner.Path(id)}/restore", request, cancellation);
            await output.WriteLineAsync($"restoring {started.Source} to {started.Target:yyyy-MM-dd'T'HH:mm:ss.ffffffK} into {started.Into}: base backup {plan.Plan!.BaseBackupId}, {plan.Plan.Chunks} oplog chunk(s), {ByteQuantity.Format(plan.Plan.BytesToRead)}");
            if (parse.GetValue(noWait)) return ExitCodes.Ok;
            return await WaitAsync(client, target, output, TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellation);
        }));
        return command;
    }

    /// <summary>
    /// Follows the new database's <c>status.archiver</c> until it is Restored or RestoreFailed: a progress bar on a
    /// terminal, a line a second otherwise (a log or a script reads those).
    /// </summary>
    public static async Task<int> WaitAsync(NodeClient client, Messages.Protocol.ResourceId target, TextWriter output, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        var path = $"api/v1/resources/mongodbs/{CommandRunner.Path(target)}";
        var started = DateTime.UtcNow;
        JsonNode? status = null;
        async Task<Progress> PollAsync()
        {
            status = JsonNode.Parse(await client.GetTextAsync(path, cancellation))?["status"]?["archiver"];
            var restore = status?["restore"];
            return new Progress(
                restore?["entriesDone"]?.GetValue<long>(),
                restore?["entriesTotal"]?.GetValue<long>(),
                restore?["bytesDone"]?.GetValue<long>() ?? 0,
                restore?["bytesTotal"]?.GetValue<long>() ?? 0,
                status?["phase"]?.GetValue<string>() is nameof(DatabaseArchiverPhase.Restored) or nameof(DatabaseArchiverPhase.RestoreFailed));
        }

        if (Tables.IsTerminal(output))
        {
            await Tables.Console(output).Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var bar = context.AddTask("planning", maxValue: 1);
                    while (DateTime.UtcNow < deadline)
                    {
                        var p = await PollAsync();
                        if (p.BytesTotal > 0) (bar.MaxValue, bar.Value) = (p.BytesTotal, p.BytesDone);
                        if (p.EntriesDone is not null) bar.Description = $"{p.EntriesDone:N0}/{p.EntriesTotal:N0} entries";
                        if (p.Finished) break;
                        await Task.Delay(250, cancellation);
                    }
                });
        }
        else
        {
            var lastLine = DateTime.MinValue;
            while (DateTime.UtcNow < deadline)
            {
                var p = await PollAsync();
                if (p.Finished) break;
                if (DateTime.UtcNow - lastLine >= TimeSpan.FromSeconds(1) && p.EntriesDone is not null)
                {
                    lastLine = DateTime.UtcNow;
                    await output.WriteLineAsync(p.Describe(DateTime.UtcNow - started));
                }

                await Task.Delay(250, cancellation);
            }
        }

        var phase = status?["phase"]?.GetValue<string>();
        var message = status?["conditions"]?.AsArray().FirstOrDefault(c => c?["type"]?.GetValue<string>() == DatabaseConditions.RestoredType)?["message"]?.GetValue<string>();
        switch (phase)
        {
            case nameof(DatabaseArchiverPhase.Restored):
                await output.WriteLineAsync($"restored {target}: {message}");
                return ExitCodes.Ok;
            case nameof(DatabaseArchiverPhase.RestoreFailed):
                throw new CommandFailure(ExitCodes.Failed, $"restore into {target} failed: {message}");
            default:
                throw new CommandFailure(ExitCodes.Failed, $"restore into {target} did not finish within {timeout.TotalSeconds:0} s (phase {phase ?? "unknown"}); it goes on");
        }
    }

    private sealed record Progress(long? EntriesDone, long? EntriesTotal, long BytesDone, long BytesTotal, bool Finished)
    {
        /// <summary><c>restore 42% 1,234/5,000 entries, 3.1 MiB/7.4 MiB, 1.2 MiB/s, ETA 4 s</c>.</summary>
        public string Describe(TimeSpan elapsed)
        {
            var fraction = BytesTotal > 0 ? (double)BytesDone / BytesTotal : 0;
            var rate = elapsed.TotalSeconds > 0 ? BytesDone / elapsed.TotalSeconds : 0;
            var eta = rate > 0 && BytesTotal > BytesDone ? $"{(BytesTotal - BytesDone) / rate:0} s" : "-";
            return $"restore {fraction:P0} {EntriesDone:N0}/{EntriesTotal:N0} entries, {ByteQuantity.Format(BytesDone)}/{ByteQuantity.Format(BytesTotal)}, {ByteQuantity.Format((long)rate)}/s, ETA {eta}";
        }
    }
}
