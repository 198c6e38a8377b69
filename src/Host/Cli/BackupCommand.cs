using System.CommandLine;
using Archiver.Host.Api;
using Archiver.Messages.Protocol.Databases;

namespace Archiver.Host.Cli;

/// <summary><c>archiver backup DB</c>: a full backup now, outside the schedule.</summary>
public static class BackupCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var database = CommandRunner.DatabaseArgument();
        var ns = CommandRunner.NamespaceOption();
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the backup has started." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the backup to finish.", DefaultValueFactory = _ => 3600 };
        var node = NodeClient.NodeOption();
        var token = NodeClient.TokenOption();
        var command = new Command("backup", """
            Take a full backup of a database now with its archiver's driver, and wait for it. Refused (exit 1)
            while another backup of the database runs. Exits 3 if the backup fails.

            Example:
              archiver backup demo/mg-rs
            """)
        {
            database, ns, noWait, timeout, node, token,
        };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync("backup", error, async () =>
        {
            var id = CommandRunner.ParseId(parse.GetValue(database)!, parse.GetValue(ns)!, "database");
            using var client = NodeClient.From(parse, node, token);
            var started = await client.PostAsync<BackupResponse>($"api/v1/databases/{CommandRunner.Path(id)}/backup", new { }, cancellation);
            await output.WriteLineAsync($"backup {started.RunId} of {started.Database} started");
            if (parse.GetValue(noWait)) return ExitCodes.Ok;

            var deadline = DateTime.UtcNow.AddSeconds(parse.GetValue(timeout));
            var reported = 0;
            while (DateTime.UtcNow < deadline)
            {
                var state = await client.GetAsync<DatabaseState>($"api/v1/databases/{CommandRunner.Path(id)}/state", cancellation);
                if (state.LastSucceeded is { } done && done.RunId == started.RunId)
                {
                    await output.WriteLineAsync($"backup {done.BackupId} of {started.Database} finished in {(done.FinishedAt - done.StartedAt)?.TotalSeconds:0.0} s");
                    return ExitCodes.Ok;
                }

                if (state.LastFailed is { } failed && failed.RunId == started.RunId && !state.Active.ContainsKey(started.RunId))
                {
                    if (!state.Retrying.TryGetValue(started.RunId, out var retry))
                    {
                        throw new CommandFailure(ExitCodes.Failed, $"backup {started.RunId} of {started.Database} failed: {failed.Error}");
                    }

                    if (reported != failed.Attempt)
                    {
                        reported = failed.Attempt;
                        await error.WriteLineAsync($"attempt {failed.Attempt} failed: {failed.Error}; the failure policy retries at {retry.RetryAt:u}");
                    }
                }

                await Task.Delay(250, cancellation);
            }

            throw new CommandFailure(ExitCodes.Failed, $"backup {started.RunId} of {started.Database} did not finish within {parse.GetValue(timeout)} s; it goes on");
        }));
        return command;
    }
}
