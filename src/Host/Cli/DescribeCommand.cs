using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Archiver.Host.Api;
using Archiver.Messages.Manifests;

namespace Archiver.Host.Cli;

/// <summary>
/// <c>archiver describe KIND NAME</c>: one resource as <c>kubectl describe</c> shows a custom resource (its metadata,
/// spec and status, conditions included), then its Events, repeats counted (<c>90s (x3 over 5m)</c>).
/// </summary>
public static class DescribeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var kind = new Argument<string>("kind") { Description = $"The kind (singular or plural, any case): {string.Join(", ", ResourceKinds.All.Select(k => k.Kind))}." };
        var name = new Argument<string>("name") { Description = "NAMESPACE/NAME, or NAME with -n." };
        var ns = CommandRunner.NamespaceOption();
        var node = NodeClient.NodeOption();
        var token = NodeClient.TokenOption();
        var command = new Command("describe", """
            Show one resource in full, with the Events recorded about it: full backups started, succeeded and failed,
            restores and their progress, archiving alarms raised and cleared, ops request steps, deletion policies.

            Example:
              archiver describe mongodb demo/mg-rs
            """)
        {
            kind, name, ns, node, token,
        };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync("describe", error, async () =>
        {
            var found = GetCommand.FindKind(parse.GetValue(kind)!);
            var id = CommandRunner.ParseId(parse.GetValue(name)!, parse.GetValue(ns)!, "name");
            using var client = NodeClient.From(parse, node, token);
            var path = $"api/v1/resources/{found.Plural}/{CommandRunner.Path(id)}";
            var resource = found.FromJson(await client.GetTextAsync(path, cancellation));
            var events = await client.GetAsync<EventsResponse>($"{path}/events", cancellation);
            await output.WriteAsync(Render(resource, events.Items, DateTimeOffset.UtcNow));
            return ExitCodes.Ok;
        }));
        return command;
    }

    internal static string Render(Messages.Resources.Resource resource, IReadOnlyList<Actors.Ports.RecordedEvent> events, DateTimeOffset now)
    {
        var text = new StringBuilder();
        var node = ManifestWriter.ToJsonNode(resource).AsObject();
        var metadata = resource.Metadata;
        text.AppendLine($"Name:         {metadata.Name}");
        text.AppendLine($"Namespace:    {metadata.NamespaceProperty}");
        text.AppendLine($"Labels:       {Pairs(metadata.Labels)}");
        text.AppendLine($"Annotations:  {Pairs(metadata.Annotations)}");
        text.AppendLine($"API Version:  {resource.ApiVersion}");
        text.AppendLine($"Kind:         {resource.Kind}");
        foreach (var section in new[] { "spec", "status" })
        {
            if (node[section] is not JsonObject body) continue;
            text.AppendLine($"{char.ToUpperInvariant(section[0])}{section[1..]}:");
            foreach (var line in Yaml(body)) text.AppendLine($"  {line}");
        }

        if (events.Count == 0)
        {
            text.AppendLine("Events:       <none>");
            return text.ToString();
        }

        text.AppendLine("Events:");
        var rows = events.Select(e => (e.Type, e.Reason, Age: Age(e, now), From: e.Source, e.Message)).ToList();
        var widths = new[] { Math.Max(4, rows.Max(r => r.Type.Length)), Math.Max(6, rows.Max(r => r.Reason.Length)), Math.Max(4, rows.Max(r => r.Age.Length)), Math.Max(4, rows.Max(r => r.From.Length)) };
        text.AppendLine(Row(widths, "Type", "Reason", "Age", "From", "Message"));
        text.AppendLine(Row(widths, "----", "------", "----", "----", "-------"));
        foreach (var r in rows) text.AppendLine(Row(widths, r.Type, r.Reason, r.Age, r.From, r.Message));
        return text.ToString();
    }

    /// <summary>As kubectl's describe: the last time, and for a repeat how many times over how long (<c>90s (x3 over 5m)</c>).</summary>
    private static string Age(Actors.Ports.RecordedEvent e, DateTimeOffset now) =>
        e.Count > 1 ? $"{Tables.Age(e.LastSeen, now)} (x{e.Count} over {Tables.Age(e.FirstSeen, now)})" : Tables.Age(e.LastSeen, now);

    private static string Row(int[] widths, params string[] cells) =>
        "  " + string.Join("  ", cells.Take(4).Select((c, i) => c.PadRight(widths[i]))) + "  " + cells[4];

    private static string Pairs(IDictionary<string, string>? pairs) =>
        pairs is null || pairs.Count == 0 ? "<none>" : string.Join("\n              ", pairs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    /// <summary>A section as indented YAML, from the same writer as <c>get -o yaml</c>.</summary>
    private static IEnumerable<string> Yaml(JsonObject body)
    {
        var yaml = ManifestWriter.ToYaml(body);
        return yaml.Split('\n').Where(l => l.Length > 0 && l != "---");
    }
}
