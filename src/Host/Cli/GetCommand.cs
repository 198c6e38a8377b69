using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;
using Spectre.Console;

namespace Archiver.Host.Cli;

/// <summary><c>archiver get KIND [NAME]</c>: resources as a table (<c>-o wide</c> adds columns), YAML or JSON.</summary>
public static class GetCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var kind = new Argument<string>("kind") { Description = $"The kind (singular or plural, any case): {string.Join(", ", ResourceKinds.All.Select(k => k.Kind))}." };
        var name = new Argument<string?>("name") { Description = "NAMESPACE/NAME or NAME; without it, every resource of the kind.", Arity = ArgumentArity.ZeroOrOne };
        var ns = new Option<string?>("--namespace", "-n") { Description = "Only this namespace (default: all)." };
        // kubectl's habits: -A names the default here (every namespace), and is refused beside -n as kubectl refuses it.
        var all = new Option<bool>("--all-namespaces", "-A") { Description = "Every namespace (the default without -n)." };
        var selector = new Option<string?>("--selector", "-l") { Description = "Only resources whose labels match, as kubectl's -l: a=b, a!=b, a, !a, a in (x,y), a notin (x,y), comma-joined." };
        var format = new Option<string>("--output", "-o") { Description = "table, wide, yaml or json.", DefaultValueFactory = _ => "table" };
        var watch = new Option<bool>("--watch", "-w") { Description = "After listing, watch for changes: each object that changes is printed again, until interrupted (Ctrl-C)." };
        format.AcceptOnlyFromAmong("table", "wide", "yaml", "json");
        var node = NodeClient.NodeOption();
        var token = NodeClient.TokenOption();
        var command = new Command("get", """
            Show resources. Phases come from each resource's status, as the controllers wrote it.

            Examples:
              archiver get mongodb -A
              archiver get mongodb -l archiver=true
              archiver get mongodbopsrequests -n demo -o wide
              archiver get mongodb demo/mg-rs -o yaml
              archiver get mongodbopsrequests -n demo -w
            """)
        {
            kind, name, ns, all, selector, format, watch, node, token,
        };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync("get", error, async () =>
        {
            var found = FindKind(parse.GetValue(kind)!);
            if (parse.GetValue(all) && parse.GetValue(ns) is not null) throw new CommandFailure(ExitCodes.Usage, "--all-namespaces (-A) and --namespace (-n) ask for different things: give one");
            if (parse.GetValue(all) && parse.GetValue(name) is not null) throw new CommandFailure(ExitCodes.Usage, "--all-namespaces (-A) lists every resource of the kind: it takes no name");
            var labels = parse.GetValue(selector) is { } text
                ? LabelSelectorText.Parse(text) switch
                {
                    ({ } parsed, _) => parsed,
                    (_, var problem) => throw new CommandFailure(ExitCodes.Usage, $"--selector (-l): {problem}"),
                }
                : null;
            using var client = NodeClient.From(parse, node, token);
            var one = parse.GetValue(name);
            var wide = parse.GetValue(format) == "wide";
            var items = await ListAsync(client, found, one, parse.GetValue(ns), labels, cancellation);
            await WriteAsync(items, again: false);

            if (!parse.GetValue(watch)) return ExitCodes.Ok;

            // The node's API has no watch of its own: it is listed again every WatchInterval, and what changed (a new
            // resourceVersion, or an object new since) is printed, as kubectl -w prints each event's object, until
            // interrupted. An object deleted meanwhile is not printed (kubectl shows its last state once).
            var seen = items.ToDictionary(Key, Version, StringComparer.Ordinal);
            try
            {
                while (true)
                {
                    await Task.Delay(WatchInterval, cancellation);
                    var now = await ListAsync(client, found, one, parse.GetValue(ns), labels, cancellation);
                    var changed = now.Where(i => !seen.TryGetValue(Key(i), out var version) || version != Version(i)).ToList();
                    foreach (var item in now) seen[Key(item)] = Version(item);
                    if (changed.Count == 0) continue;
                    await WriteAsync(changed, again: true);
                    await output.FlushAsync(CancellationToken.None);
                }
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                // Interrupted: the way a watch ends.
            }

            return ExitCodes.Ok;

            // The list, or (again) what changed since: under -w each object changed is a document of its own, and a
            // table's rows come without the header printed first, as kubectl -w prints them.
            async Task WriteAsync(List<JsonObject> shown, bool again)
            {
                switch (parse.GetValue(format))
                {
                    case "yaml":
                        await output.WriteAsync(ManifestWriter.ToYaml(shown.Select(i => found.FromJson(i.ToJsonString()))));
                        break;
                    case "json" when again:
                        foreach (var item in shown) await output.WriteAsync(ManifestWriter.ToJson(found.FromJson(item.ToJsonString())));
                        break;
                    case "json":
                        await output.WriteAsync(shown.Count == 1 && one is not null
                            ? ManifestWriter.ToJson(found.FromJson(shown[0].ToJsonString()))
                            : ManifestWriter.ToJson(shown.Select(i => found.FromJson(i.ToJsonString()))));
                        break;
                    case var _ when shown.Count == 0:
                        if (!parse.GetValue(watch)) await error.WriteLineAsync($"No {found.Plural} found.");
                        break;
                    default:
                        var table = Table(found, shown, wide);
                        Tables.Write(output, again ? table.HideHeaders() : table);
                        break;
                }
            }
        }));
        return command;
    }

    /// <summary>How often <c>-w</c> lists again.</summary>
    internal static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    private static async Task<List<JsonObject>> ListAsync(NodeClient client, ResourceKind found, string? one, string? ns, k8s.Models.V1LabelSelector? labels, CancellationToken cancellation)
    {
        List<JsonObject> items;
        if (one is not null)
        {
            var id = CommandRunner.ParseId(one, ns ?? "default", "name");
            items = [JsonNode.Parse(await client.GetTextAsync($"api/v1/resources/{found.Plural}/{CommandRunner.Path(id)}", cancellation))!.AsObject()];
        }
        else
        {
            var query = ns is { } n ? $"?namespace={Uri.EscapeDataString(n)}" : "";
            var list = JsonNode.Parse(await client.GetTextAsync($"api/v1/resources/{found.Plural}{query}", cancellation))!;
            items = [.. list["items"]!.AsArray().Select(i => i!.AsObject())];
        }

        return labels is null ? items : [.. items.Where(i => LabelSelectors.Matches(labels, Labels(i)))];
    }

    private static string Key(JsonObject item) => $"{Text(item["metadata"]?["namespace"])}/{Text(item["metadata"]?["name"])}";

    private static string? Version(JsonObject item) => Text(item["metadata"]?["resourceVersion"]);

    public static ResourceKind FindKind(string name) =>
        ResourceKinds.FindByName(name) ?? (name.EndsWith('s') ? ResourceKinds.FindByName(name[..^1]) : null)
        ?? throw new CommandFailure(ExitCodes.Usage, $"kind: '{name}' is not a kind Archiver serves; known kinds: {string.Join(", ", ResourceKinds.All.Select(k => k.Kind))}");

    private static Table Table(ResourceKind kind, IReadOnlyList<JsonObject> items, bool wide)
    {
        var extra = wide ? WideColumns(kind.Kind) : [];
        var table = Tables.Plain([.. new[] { "NAMESPACE", "NAME", "PHASE" }.Concat(extra.Select(e => e.Header)), "AGE"]);
        var now = DateTimeOffset.UtcNow;
        foreach (var item in items)
        {
            var created = DateTimeOffset.TryParse(item["metadata"]?["creationTimestamp"]?.GetValue<string>(), CultureInfo.InvariantCulture, out var c) ? c : (DateTimeOffset?)null;
            var phase = Text(item["status"]?["phase"]) ?? Text(item["status"]?["archiver"]?["phase"]) ?? "-";
            string[] cells = [Text(item["metadata"]?["namespace"]) ?? "", Text(item["metadata"]?["name"]) ?? "", phase, .. extra.Select(e => e.Value(item) ?? "-"), Tables.Age(created, now)];
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }

        return table;
    }

    private static (string Header, Func<JsonObject, string?> Value)[] WideColumns(string kind) => kind switch
    {
        "MongoDB" =>
        [
            ("ARCHIVER", i => Ref(i["spec"]?["archiver"]?["ref"])),
            ("LAST BACKUP", i => Text(i["status"]?["archiver"]?["lastFullBackup"])),
            ("RECOVERABLE", i => i["status"]?["archiver"]?["recoverableWindows"] is JsonArray { Count: > 0 } w ? $"{Text(w[0]?["start"])} .. {Text(w[^1]?["end"])}" : null),
            ("LAG", i => ArchiverStatusText.Lag(Text(i["status"]?["archiver"]?["lag"]), Text(i["status"]?["archiver"]?["phase"]))),
            ("HEADROOM", i => Text(i["status"]?["archiver"]?["oplogHeadroom"])),
        ],
        "MongoDBOpsRequest" =>
        [
            ("OPERATION", i => Text(i["spec"]?["archiver"]?["operation"]) ?? Text(i["spec"]?["type"])),
            ("DATABASE", i => Text(i["spec"]?["databaseRef"]?["name"])),
        ],
        "MongoDBArchiver" =>
        [
            ("DATABASES", i => (i["status"]?["databaseRefs"] as JsonArray)?.Count.ToString(CultureInfo.InvariantCulture)),
            ("PAUSED", i => Text(i["spec"]?["pause"]) ?? "false"),
            ("DRIVER", i => Text(i["spec"]?["fullBackup"]?["driver"])),
        ],
        _ => [],
    };

    private static Dictionary<string, string> Labels(JsonObject item) =>
        (item["metadata"]?["labels"] as JsonObject ?? []).Where(l => l.Value is JsonValue).ToDictionary(l => l.Key, l => l.Value!.GetValue<string>(), StringComparer.Ordinal);

    private static string? Ref(JsonNode? reference) => reference is null ? null
        : Text(reference["namespace"]) is { } ns ? $"{ns}/{Text(reference["name"])}" : Text(reference["name"]);

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value => value.ToString(),
        _ => node.ToJsonString(),
    };
}
