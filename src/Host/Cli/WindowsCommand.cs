using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Archiver.Host.Api;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Validation;
using Spectre.Console;

namespace Archiver.Host.Cli;

/// <summary><c>archiver windows DB</c>: the recoverable windows and gaps of a database, as a table and a time line.</summary>
public static class WindowsCommand
{
    private const int LineWidth = 60;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var database = CommandRunner.DatabaseArgument();
        var ns = CommandRunner.NamespaceOption();
        var format = new Option<string>("--output", "-o") { Description = "table or json.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var node = NodeClient.NodeOption();
        var token = NodeClient.TokenOption();
        var command = new Command("windows", """
            Show every span of time a database can be restored to (from a full backup's consistent point to the
            end of the unbroken oplog after it) and every gap in its archived oplog.

            Example:
              archiver windows demo/mg-rs
            """)
        {
            database, ns, format, node, token,
        };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync("windows", error, async () =>
        {
            var id = CommandRunner.ParseId(parse.GetValue(database)!, parse.GetValue(ns)!, "database");
            using var client = NodeClient.From(parse, node, token);
            var windows = await client.GetAsync<WindowsResponse>($"api/v1/databases/{CommandRunner.Path(id)}/windows", cancellation);
            if (parse.GetValue(format) == "json")
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(windows, new JsonSerializerOptions(ApiJson.Options) { WriteIndented = true }));
                return ExitCodes.Ok;
            }

            await WriteAsync(output, windows);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task WriteAsync(TextWriter output, WindowsResponse windows)
    {
        await output.WriteLineAsync($"{windows.Database}: repository {windows.Storage} {windows.Prefix}");
        if (windows.Windows.Count == 0)
        {
            await output.WriteLineAsync("no recoverable window yet: a window opens with the first full backup");
        }
        else
        {
            // A sharded cluster's window ends where the first of its replica sets' archives does, or where a shard its
            // backup does not hold joined: the column says which.
            var ended = windows.Windows.Any(w => w.EndedBy is not null);
            var table = ended
                ? Tables.Plain("TIMELINE", "FROM", "TO", "LENGTH", "BASE BACKUP", "ENDS WHERE")
                : Tables.Plain("TIMELINE", "FROM", "TO", "LENGTH", "BASE BACKUP");
            foreach (var w in windows.Windows)
            {
                string[] cells = [w.Timeline.ToString(CultureInfo.InvariantCulture), Rfc3339.Format(w.From), Rfc3339.Format(w.To), GoDuration.Format(w.To - w.From), Markup.Escape(w.BackupId)];
                table.AddRow(ended ? [.. cells, Markup.Escape(w.EndedBy ?? "")] : cells);
            }

            Tables.Write(output, table);
        }

        if (windows.Gaps.Count > 0)
        {
            await output.WriteLineAsync("gaps (no point inside can be restored):");
            var table = Tables.Plain("COMPONENT", "TIMELINE", "FROM", "TO", "LENGTH");
            foreach (var g in windows.Gaps)
            {
                table.AddRow(Markup.Escape(g.Component), g.Timeline.ToString(CultureInfo.InvariantCulture), Rfc3339.Format(g.From), Rfc3339.Format(g.To), GoDuration.Format(g.To - g.From));
            }

            Tables.Write(output, table);
        }

        // Where each timeline came from: a database restored from this history archives on a branch of its own.
        if (windows.Timelines is { Count: > 1 } timelines || windows.Timelines?.FirstOrDefault()?.Parent is not null)
        {
            await output.WriteLineAsync("timelines:");
            var table = Tables.Plain("TIMELINE", "HISTORY", "DATABASE");
            foreach (var t in windows.Timelines!.OrderBy(t => t.Id))
            {
                var history = t.Parent is { } parent
                    ? $"timeline {parent}{(t.ParentPrefix is { } other ? $" of {other}" : "")} up to {(t.BranchedAt is { } at ? Rfc3339.Format(at) : "?")}, then its own"
                    : "its own from the first archive";
                var whose = t.Id == windows.OwnTimeline ? "this one" : $"uid {t.Owner[..Math.Min(8, t.Owner.Length)]}…";
                table.AddRow(t.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(history), Markup.Escape(whose));
            }

            Tables.Write(output, table);
        }

        if (windows.Windows.Count > 0) await output.WriteAsync(TimeLine(windows.Windows, windows.Gaps));
    }

    /// <summary>One row per timeline over the whole span: '█' recoverable, 'x' a gap, '·' neither.</summary>
    public static string TimeLine(IReadOnlyList<WindowInfo> windows, IReadOnlyList<GapInfo> gaps)
    {
        var start = windows.Min(w => w.From);
        var end = windows.Max(w => w.To);
        var span = Math.Max(1, (end - start).Ticks);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"time line {Rfc3339.Format(start)} .. {Rfc3339.Format(end)}:");
        foreach (var timeline in windows.Select(w => w.Timeline).Distinct().Order())
        {
            var cells = Enumerable.Repeat('·', LineWidth).ToArray();
            void Paint(DateTimeOffset from, DateTimeOffset to, char mark)
            {
                var a = (int)Math.Clamp((from - start).Ticks * LineWidth / span, 0, LineWidth - 1);
                var b = (int)Math.Clamp((to - start).Ticks * LineWidth / span, a, LineWidth - 1);
                for (var i = a; i <= b; i++) cells[i] = mark;
            }

            foreach (var w in windows.Where(w => w.Timeline == timeline)) Paint(w.From, w.To, '█');
            foreach (var g in gaps.Where(g => g.Timeline == timeline)) Paint(g.From, g.To, 'x');
            text.AppendLine(CultureInfo.InvariantCulture, $"  timeline {timeline,-3} |{new string(cells)}|");
        }

        return text.ToString();
    }
}
