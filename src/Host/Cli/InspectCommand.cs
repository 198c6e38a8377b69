using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Archiver.Host.Api;
using Archiver.Host.Inspection;
using Archiver.Messages.Protocol;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Archiver.Host.Cli;

/// <summary>
/// <c>archiver inspect members|shards|entity|actors|journal|opsrequests</c>: what a running node's <c>/inspect</c>
/// endpoint shows, as tables for a person, JSON (the endpoint's own) or TSV for a script: one row per line, tab
/// separated, no header, columns in a fixed order documented in docs/inspection.md, so a shell script reads it
/// with <c>while IFS=$'\t' read -r …</c> and needs nothing else.
/// </summary>
public static class InspectCommand
{
    private enum Format
    {
        Table,
        Json,
        Tsv,
    }

    public static Command Create(TextWriter output, TextWriter error)
    {
        var node = NodeClient.NodeOption();
        node.Recursive = true;
        var token = NodeClient.TokenOption();
        token.Recursive = true;
        var format = new Option<Format>("--output", "-o")
        {
            Description = "table (for a person), json (the endpoint's answer) or tsv (for scripts: tab separated, no header).",
            DefaultValueFactory = _ => Format.Table,
            Recursive = true,
        };
        var options = new Shared(node, token, format, output, error);

        var command = new Command("inspect", """
            Look inside a running node: cluster members, shard placement, one entity's live state and persisted
            history, the actor tree, raw journal streams, ops requests' ages. Read-only.

            Examples:
              archiver inspect members
              archiver inspect entity database shop/orders
              archiver inspect shards -o json --node http://10.0.0.5:7780 --token "$ARCHIVER_TOKEN"
            """)
        {
            node, token, format,
        };
        command.Add(Members(options));
        command.Add(Shards(options));
        command.Add(Entity(options));
        command.Add(Actors(options));
        command.Add(Journal(options));
        command.Add(OpsRequests(options));
        return command;
    }

    private static Command Members(Shared options)
    {
        var command = new Command("members", """
            The cluster's members as this node sees them: address, status, reachability, leader, when each
            came Up, roles.
            TSV columns: address, status, reachable (yes|no), leader (yes|no), self (yes|no), up-since, roles.

            Example:
              archiver inspect members -o tsv
            """);
        command.SetAction((parse, cancellation) => options.RunAsync(parse, "inspect/members", cancellation, (body, format, output) =>
        {
            var members = Read<MembersResponse>(body);
            if (format == Format.Tsv)
            {
                foreach (var m in members.Members)
                {
                    Tsv(output, m.Address, m.Status, YesNo(m.Reachable), YesNo(m.IsLeader), YesNo(m.IsSelf), Time(m.UpSince), m.Roles.Count == 0 ? "-" : string.Join(',', m.Roles));
                }

                return;
            }

            var table = Plain("ADDRESS", "STATUS", "REACHABLE", "LEADER", "UP SINCE", "ROLES");
            foreach (var m in members.Members)
            {
                var upSince = m.UpSince is null ? "-" : m.UpSinceIsUpperBound ? $"before {Time(m.UpSince)}" : Time(m.UpSince);
                table.AddRow(Cells(m.IsSelf ? $"{m.Address} (this node)" : m.Address, m.Status, YesNo(m.Reachable), m.IsLeader ? "leader" : "", upSince, m.Roles.Count == 0 ? "-" : string.Join(',', m.Roles)));
            }

            Write(output, table);
            output.WriteLine($"{members.Members.Count} member(s), {members.Unreachable} unreachable; leader {members.Leader ?? "none"}");
        }));
        return command;
    }

    private static Command Shards(Shared options)
    {
        var command = new Command("shards", """
            Per shard region (opsrequest, archiver, database, storageindex): which member hosts which shards,
            and how many entities each holds.
            TSV columns: region, member, shards, entities, shard ids (id:entities, comma separated).

            Example:
              archiver inspect shards
            """);
        command.SetAction((parse, cancellation) => options.RunAsync(parse, "inspect/shards", cancellation, (body, format, output) =>
        {
            var shards = Read<ShardsResponse>(body);
            var table = Plain("REGION", "MEMBER", "SHARDS", "ENTITIES", "SHARD:ENTITIES");
            foreach (var region in shards.Regions)
            {
                if (region.Error is not null && format != Format.Tsv)
                {
                    table.AddRow(Cells(region.TypeName, "-", "-", "-", region.Error));
                }

                foreach (var n in region.Nodes)
                {
                    var ids = n.ShardList.Count == 0 ? "-" : string.Join(',', n.ShardList.Select(s => $"{s.Id}:{s.Entities}"));
                    if (n.Failed.Count > 0) ids += $" (no answer from {string.Join(',', n.Failed)})";
                    if (format == Format.Tsv) Tsv(output, region.TypeName, n.Address, Num(n.Shards), Num(n.Entities), ids);
                    else table.AddRow(Cells(region.TypeName, n.Address, Num(n.Shards), Num(n.Entities), ids));
                }
            }

            if (format != Format.Tsv) Write(output, table);
        }));
        return command;
    }

    private static Command Entity(Shared options)
    {
        var kind = new Argument<string>("kind") { Description = "opsrequest, archiver or database." };
        var id = new Argument<string>("namespace/name") { Description = "The entity's resource, e.g. shop/orders." };
        var events = new Option<int>("--events") { Description = "How many of the newest events to show.", DefaultValueFactory = _ => 20 };
        var command = new Command("entity", """
            One entity: the member hosting it, its shard, its phase, its live state (from its own state query)
            and its newest persisted events (sequence number, time, type, the event as JSON).
            Exits 1 when neither the resource nor a journal stream exists for it.
            TSV columns: kind, namespace/name, member, shard, phase, persistence id, last sequence number.

            Examples:
              archiver inspect entity database shop/orders
              archiver inspect entity opsrequest shop/orders-archiver-configure-1a2b3c --events 100 -o json
            """)
        {
            kind, id, events,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            ResourceId resource;
            try
            {
                resource = ResourceId.Parse(parse.GetValue(id)!);
            }
            catch (FormatException)
            {
                await options.Error.WriteLineAsync($"archiver inspect entity: '{parse.GetValue(id)}' is not namespace/name");
                return ExitCodes.Usage;
            }

            var path = $"inspect/entity/{Uri.EscapeDataString(parse.GetValue(kind)!)}/{Uri.EscapeDataString(resource.Namespace)}/{Uri.EscapeDataString(resource.Name)}?events={parse.GetValue(events)}";
            return await options.RunAsync(parse, path, cancellation, (body, format, output) =>
            {
                var entity = Read<EntityResponse>(body);
                if (format == Format.Tsv)
                {
                    Tsv(output, entity.Kind, entity.Id, entity.Node ?? "-", entity.Shard, entity.Phase ?? "-", entity.PersistenceId, Num(entity.HighestSequenceNr));
                    return;
                }

                var facts = new Grid().AddColumn(new GridColumn { NoWrap = true, Padding = new Padding(0, 0, 3, 0) }).AddColumn();
                facts.AddRow("entity", $"{entity.Kind} {entity.Id}");
                facts.AddRow("member", entity.Node ?? "- (its shard is not allocated)");
                facts.AddRow("shard", entity.Shard);
                facts.AddRow("phase", entity.Phase ?? "-");
                facts.AddRow("resource", entity.ResourceExists ? "exists" : "gone (the journal remains)");
                facts.AddRow("persistence id", entity.PersistenceId);
                facts.AddRow("events", entity.EventsTruncated ? $"{entity.HighestSequenceNr} (the newest {entity.Events.Count} below)" : Num(entity.HighestSequenceNr));
                Write(output, facts);
                output.WriteLine();
                output.WriteLine("state:");
                output.WriteLine(entity.State is { } state ? Indent(JsonSerializer.Serialize(state, Pretty)) : $"  - ({entity.StateError})");
                output.WriteLine();
                WriteEvents(output, entity.Events);
            });
        });
        return command;
    }

    private static Command Actors(Shared options)
    {
        var depth = new Option<int>("--depth") { Description = $"How many levels below /user and /system (at most {ActorTree.MaxDepth}).", DefaultValueFactory = _ => ActorTree.DefaultDepth };
        var under = new Option<string?>("--path") { Description = "Show only the sub-tree at this path, e.g. /system/sharding/database." };
        var command = new Command("actors", $"""
            The node's actor tree under /user and /system, each actor with its class and its number of children
            (at most {ActorTree.ChildrenPerActor} children are listed per actor).
            TSV columns: path, class, children.

            Examples:
              archiver inspect actors --depth 2
              archiver inspect actors --path /system/sharding/opsrequest --depth 2
            """)
        {
            depth, under,
        };
        command.SetAction((parse, cancellation) =>
        {
            var path = $"inspect/actors?depth={parse.GetValue(depth)}";
            if (parse.GetValue(under) is { Length: > 0 } p) path += $"&path={Uri.EscapeDataString(p)}";
            return options.RunAsync(parse, path, cancellation, (body, format, output) =>
            {
                var actors = Read<ActorsResponse>(body);
                if (format == Format.Tsv)
                {
                    foreach (var root in actors.Roots) WriteTsv(output, root);
                    return;
                }

                var tree = new Tree(actors.Address);
                foreach (var root in actors.Roots) AddNode(tree.AddNode(Label(root)), root);
                Write(output, tree);

                static void AddNode(TreeNode parent, ActorNode node)
                {
                    foreach (var child in node.Children) AddNode(parent.AddNode(Label(child)), child);
                    if (node.ChildCount > node.Children.Count && node.Children.Count > 0) parent.AddNode(Markup.Escape($"… {node.ChildCount - node.Children.Count} more"));
                }

                static string Label(ActorNode node)
                {
                    var children = node.ChildCount > 0 && node.Children.Count == 0 ? $" [{node.ChildCount} children]" : "";
                    return Markup.Escape($"{Uri.UnescapeDataString(node.Name)} ({node.Type ?? "?"}){children}");
                }

                static void WriteTsv(TextWriter output, ActorNode node)
                {
                    Tsv(output, node.Path, node.Type ?? "-", Num(node.ChildCount));
                    foreach (var child in node.Children) WriteTsv(output, child);
                }
            });
        });
        return command;
    }

    private static Command Journal(Shared options)
    {
        var id = new Argument<string?>("persistence-id") { Description = "The stream to read; without it, every persistence id the journal holds.", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--limit") { Description = "How many of the newest events to show.", DefaultValueFactory = _ => 100 };
        var command = new Command("journal", """
            The raw events of any persistence id, Archiver's own (opsrequest-NS/NAME, archiver-NS/NAME,
            database-NS/NAME) or Akka's (sharding coordinators and remember-entities stores), newest last.
            Without an id, the ids the journal holds. Exits 1 for an id with no events.
            TSV columns: sequence number, time, type, the event as one line of JSON (or: one id per line).

            Examples:
              archiver inspect journal
              archiver inspect journal database-shop/orders --limit 10
            """)
        {
            id, limit,
        };
        command.SetAction((parse, cancellation) =>
        {
            var persistenceId = parse.GetValue(id);
            var path = string.IsNullOrEmpty(persistenceId) ? "inspect/journal" : $"inspect/journal?id={Uri.EscapeDataString(persistenceId)}&limit={parse.GetValue(limit)}";
            return options.RunAsync(parse, path, cancellation, (body, format, output) =>
            {
                if (string.IsNullOrEmpty(persistenceId))
                {
                    var ids = Read<PersistenceIdsResponse>(body);
                    foreach (var p in ids.PersistenceIds) output.WriteLine(format == Format.Tsv ? TsvField(p) : p);
                    return;
                }

                var journal = Read<JournalResponse>(body);
                if (format == Format.Tsv)
                {
                    foreach (var e in journal.Events) Tsv(output, Num(e.SequenceNr), Time(e.Timestamp), e.Type, JsonSerializer.Serialize(e.Data, OneLine));
                    return;
                }

                output.WriteLine(journal.Truncated
                    ? $"{journal.PersistenceId}: {journal.HighestSequenceNr} events, the newest {journal.Events.Count} below"
                    : $"{journal.PersistenceId}: {journal.HighestSequenceNr} events");
                WriteEvents(output, journal.Events);
            });
        });
        return command;
    }

    private static Command OpsRequests(Shared options)
    {
        var ns = new Option<string?>("--namespace", "-n") { Description = "Only this namespace." };
        var command = new Command("opsrequests", """
            Every ops request with its phase, whether that phase is terminal, and its age, from the resources'
            status: what pbm-scripts/stuck-opsrequests.sh reads.
            TSV columns: namespace, name, database, operation, phase, terminal (yes|no), age in seconds, last message.

            Example:
              archiver inspect opsrequests -n shop
            """)
        {
            ns,
        };
        command.SetAction((parse, cancellation) =>
        {
            var path = parse.GetValue(ns) is { Length: > 0 } n ? $"inspect/opsrequests?namespace={Uri.EscapeDataString(n)}" : "inspect/opsrequests";
            return options.RunAsync(parse, path, cancellation, (body, format, output) =>
            {
                var requests = Read<OpsRequestsResponse>(body).OpsRequests;
                if (format == Format.Tsv)
                {
                    foreach (var r in requests) Tsv(output, r.Namespace, r.Name, r.Database, r.Operation ?? "-", r.Phase, YesNo(r.Terminal), Num(r.AgeSeconds), r.Message ?? "-");
                    return;
                }

                var table = Plain("NAMESPACE", "NAME", "DATABASE", "OPERATION", "PHASE", "AGE", "MESSAGE");
                foreach (var r in requests) table.AddRow(Cells(r.Namespace, r.Name, r.Database, r.Operation ?? "-", r.Phase, Age(r.AgeSeconds), r.Message ?? ""));
                Write(output, table);
            });
        });
        return command;
    }

    private static void WriteEvents(TextWriter output, IReadOnlyList<JournalEvent> events)
    {
        if (events.Count == 0)
        {
            output.WriteLine("no events");
            return;
        }

        var table = Plain("SEQ", "TIME", "TYPE", "EVENT");
        table.Columns[3].NoWrap = false;
        foreach (var e in events) table.AddRow(Cells(Num(e.SequenceNr), Time(e.Timestamp), e.Type, JsonSerializer.Serialize(e.Data, OneLine)));
        Write(output, table);
    }

    // What a person reads in a terminal: '+' and quotes as they are, not as \u002B.
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions OneLine = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static T Read<T>(JsonElement body) =>
        body.Deserialize<T>(ApiJson.Options) ?? throw new CommandFailure(ExitCodes.Failed, "the node answered null");

    private static string YesNo(bool value) => value ? "yes" : "no";

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset? time) => time is { } t ? Messages.Validation.Rfc3339.FormatSeconds(t) : "-";

    private static string Age(long seconds) =>
        seconds >= 2 * 86400 ? $"{seconds / 86400}d" : seconds >= 2 * 3600 ? $"{seconds / 3600}h" : seconds >= 120 ? $"{seconds / 60}m" : $"{seconds}s";

    private static string Indent(string text) => string.Join('\n', text.Split('\n').Select(line => "  " + line));

    private static void Tsv(TextWriter output, params string[] fields) => output.WriteLine(string.Join('\t', fields.Select(TsvField)));

    /// <summary>A field never breaks the row: tabs and line breaks become spaces, and an empty field is "-".</summary>
    private static string TsvField(string value) =>
        value.Length == 0 ? "-" : value.Replace('\t', ' ').Replace('\r', ' ').Replace('\n', ' ');

    private static IRenderable[] Cells(params string[] values) => [.. values.Select(v => new Text(v))];

    private static Table Plain(params string[] headers)
    {
        var table = new Table().NoBorder().HideRowSeparators();
        foreach (var header in headers) table.AddColumn(new TableColumn(header) { Padding = new Padding(0, 0, 3, 0), NoWrap = true });
        return table;
    }

    private static void Write(TextWriter output, IRenderable renderable)
    {
        var terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Into a pipe or a file there is no terminal width to respect: wide enough that rows do not wrap.
        console.Profile.Width = terminal ? Math.Max(100, console.Profile.Width) : 200;
        console.Write(renderable);
    }

    /// <summary>The options every sub-command shares, and the one way each runs: fetch, then print or fail.</summary>
    private sealed record Shared(Option<string> Node, Option<string?> Token, Option<Format> FormatOption, TextWriter Output, TextWriter Error)
    {
        public async Task<int> RunAsync(ParseResult parse, string path, CancellationToken cancellation, Action<JsonElement, Format, TextWriter> print)
        {
            try
            {
                using var client = NodeClient.From(parse, Node, Token);
                var body = await client.GetAsync<JsonElement>(path, cancellation);
                var format = parse.GetValue(FormatOption);
                if (format == Format.Json) await Output.WriteLineAsync(JsonSerializer.Serialize(body, Pretty));
                else print(body, format, Output);
                return ExitCodes.Ok;
            }
            catch (CommandFailure failure)
            {
                await Error.WriteLineAsync($"archiver inspect {parse.CommandResult.Command.Name}: {failure.Message}");
                return failure.ExitCode;
            }
        }
    }
}
