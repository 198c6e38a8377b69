using System.CommandLine;
using Archiver.Host.Api;
using Archiver.Messages.Protocol;
using Archiver.Messages.Validation;

namespace Archiver.Host.Cli;

/// <summary><c>archiver plan DB --at TS</c>: how a restore to that point would go, or exactly why it cannot.</summary>
public static class PlanCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var database = CommandRunner.DatabaseArgument();
        var at = new Option<string>("--at") { Description = "The target: an RFC 3339 time (microseconds allowed; every entry at or before it), seconds:increment, latest or immediate; ',exclusive' after it leaves the entry at it out.", Required = true };
        var format = new Option<string>("--output", "-o") { Description = "text, or json: the whole plan, every chunk named, as a restore to this target records and runs it.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var ns = CommandRunner.NamespaceOption();
        var node = NodeClient.NodeOption();
        var token = NodeClient.TokenOption();
        var command = new Command("plan", """
            Work out a point-in-time restore without running it: the base backup, the oplog chunks to replay and
            the bytes to read. Exits 1 with the nearest recoverable times when no window covers the target.
            With -o json, the plan itself: byte for byte the one a restore to that target records and runs.

            Example:
              archiver plan demo/mg-rs --at 2026-11-25T17:00:00.123456Z
              archiver plan demo/mg-rs --at latest -o json
            """)
        {
            database, at, ns, format, node, token,
        };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync("plan", error, async () =>
        {
            var id = CommandRunner.ParseId(parse.GetValue(database)!, parse.GetValue(ns)!, "database");
            using var client = NodeClient.From(parse, node, token);
            var plan = await FetchAsync(client, id, parse.GetValue(at)!, cancellation);
            var p = plan.Plan!;
            if (parse.GetValue(format) == "json")
            {
                await output.WriteLineAsync(p.Document);
                return ExitCodes.Ok;
            }

            var resolved = p.Target is { } reached && reached != plan.Target ? $" ({reached})" : "";
            await output.WriteLineAsync($"{plan.Database} at {plan.Target}{resolved}: restorable, on timeline {p.Timeline}");
            var baseTimeline = p.BaseTimeline ?? p.Timeline;
            var elsewhere = p.BasePrefix is { } basePrefix && basePrefix != plan.Prefix ? $" of {basePrefix}" : "";
            await output.WriteLineAsync($"  base backup   {p.BaseBackupId} (timeline {baseTimeline}{elsewhere})");
            await output.WriteLineAsync($"  replay after  {p.ReplayAfterTs}");
            await output.WriteLineAsync($"  components    {string.Join(", ", p.Components.Distinct())}");
            await output.WriteLineAsync($"  oplog chunks  {p.Chunks}");
            // A target on a restored database's timeline before its own first backup replays two histories, never mixed.
            if (p.Segments is { Count: > 1 } segments)
            {
                foreach (var segment in segments)
                {
                    var where = segment.Prefix != plan.Prefix ? $" of {segment.Prefix}" : "";
                    var until = segment.UntilTs is { } ts ? $" up to its branch point {ts}" : " up to the target";
                    await output.WriteLineAsync($"    timeline {segment.Timeline}{where} ({segment.Component}): {segment.Chunks} chunk(s){until}");
                }
            }

            await output.WriteLineAsync($"  to read       {ByteQuantity.Format(p.BytesToRead)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The plan; a refusal is exit 1 with the node's account of it (reason and nearest recoverable times).</summary>
    public static Task<PlanResponse> FetchAsync(NodeClient client, ResourceId database, string at, CancellationToken cancellation) =>
        client.GetAsync<PlanResponse>($"api/v1/databases/{CommandRunner.Path(database)}/plan?at={Uri.EscapeDataString(at)}", cancellation);
}
