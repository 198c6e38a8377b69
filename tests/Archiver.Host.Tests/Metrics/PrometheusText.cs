using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Archiver.Host.Tests.Metrics;

/// <summary>
/// A strict parser of Prometheus' text exposition format 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats/),
/// for tests only: no NuGet package parses it. Anything the format does not allow is an error, with its line:
/// a malformed name, label or value; a <c># TYPE</c> given twice, after its family's samples, or of an unknown type; a
/// family's samples not together; the same series twice; a histogram without its <c>+Inf</c> bucket, with buckets that
/// decrease, or whose <c>+Inf</c> bucket differs from its <c>_count</c>; text not ending in a line feed.
/// </summary>
public sealed partial class PrometheusText
{
    private static readonly HashSet<string> Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    private PrometheusText(IReadOnlyDictionary<string, string> types, IReadOnlyList<PrometheusSample> samples)
    {
        FamilyTypes = types;
        Samples = samples;
    }

    /// <summary>Each family's declared type, by its name.</summary>
    public IReadOnlyDictionary<string, string> FamilyTypes { get; }

    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>The samples of <paramref name="name"/> whose labels include every one of <paramref name="labels"/>.</summary>
    public IReadOnlyList<PrometheusSample> Find(string name, params (string Name, string Value)[] labels) =>
        [.. Samples.Where(s => s.Name == name && labels.All(l => s.Label(l.Name) == l.Value))];

    /// <summary>The one sample of <paramref name="name"/> with these labels; fails unless there is exactly one.</summary>
    public double Single(string name, params (string Name, string Value)[] labels) => Find(name, labels) switch
    {
        [var one] => one.Value,
        var found => throw new FormatException($"{found.Count} samples of {name}{{{string.Join(",", labels.Select(l => $"{l.Name}=\"{l.Value}\""))}}}, not one"),
    };

    public static PrometheusText Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("the exposition does not end with a line feed");
        Dictionary<string, string> types = new(StringComparer.Ordinal);
        HashSet<string> helped = new(StringComparer.Ordinal);
        HashSet<string> closedFamilies = new(StringComparer.Ordinal);
        HashSet<string> series = new(StringComparer.Ordinal);
        List<PrometheusSample> samples = [];
        string? family = null;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length - 1; i++)
        {
            var line = lines[i];
            var at = $"line {i + 1} ('{line}')";
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[1] is "TYPE" or "HELP")
                {
                    var name = parts[2];
                    if (MetricName().Match(name) is not { Index: 0 } whole || whole.Length != name.Length) throw new FormatException($"{at}: '{name}' is not a metric name");
                    if (parts[1] == "TYPE")
                    {
                        if (parts.Length != 4 || !Types.Contains(parts[3])) throw new FormatException($"{at}: not a known type");
                        if (!types.TryAdd(name, parts[3])) throw new FormatException($"{at}: a second TYPE for {name}");
                        if (samples.Any(s => FamilyOf(s.Name, types) == name)) throw new FormatException($"{at}: TYPE after samples of {name}");
                    }
                    else if (!helped.Add(name))
                    {
                        throw new FormatException($"{at}: a second HELP for {name}");
                    }
                }

                continue;
            }

            var sample = Sample(line, at);
            var owner = FamilyOf(sample.Name, types);
            if (owner != family)
            {
                if (family is not null) closedFamilies.Add(family);
                if (closedFamilies.Contains(owner)) throw new FormatException($"{at}: samples of {owner} are not together");
                family = owner;
            }

            var key = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
            if (!series.Add(key)) throw new FormatException($"{at}: {key} given twice");
            samples.Add(sample);
        }

        foreach (var (name, type) in types.Where(t => t.Value == "histogram")) CheckHistogram(name, samples);
        return new PrometheusText(types, samples);
    }

    /// <summary>The family a sample belongs to: a histogram's or summary's <c>_bucket</c>, <c>_sum</c> and <c>_count</c> are its own.</summary>
    private static string FamilyOf(string name, Dictionary<string, string> types)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(name[..^suffix.Length], out var type) && type is "histogram" or "summary") return name[..^suffix.Length];
        }

        return name;
    }

    private static void CheckHistogram(string name, List<PrometheusSample> samples)
    {
        var buckets = samples.Where(s => s.Name == name + "_bucket").GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")));
        foreach (var group in buckets)
        {
            var ordered = group.Select(b => (Le: Number(b.Label("le") ?? throw new FormatException($"{name}_bucket without le"), $"{name} le"), b.Value)).OrderBy(b => b.Le).ToList();
            if (ordered[^1].Le != double.PositiveInfinity) throw new FormatException($"{name}{{{group.Key}}} has no +Inf bucket");
            for (var i = 1; i < ordered.Count; i++)
            {
                if (ordered[i].Value < ordered[i - 1].Value) throw new FormatException($"{name}{{{group.Key}}}: bucket le={ordered[i].Le} holds fewer than le={ordered[i - 1].Le}");
            }

            var count = samples.Where(s => s.Name == name + "_count" && string.Join(",", s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) == group.Key).ToList();
            if (count is not [var c] || c.Value != ordered[^1].Value) throw new FormatException($"{name}{{{group.Key}}}: _count differs from the +Inf bucket");
            if (!samples.Any(s => s.Name == name + "_sum")) throw new FormatException($"{name}{{{group.Key}}} has no _sum");
        }
    }

    private static PrometheusSample Sample(string line, string at)
    {
        var name = MetricName().Match(line);
        if (!name.Success || name.Index != 0) throw new FormatException($"{at}: no metric name");
        var rest = line[name.Length..];
        Dictionary<string, string> labels = new(StringComparer.Ordinal);
        if (rest.StartsWith('{'))
        {
            var i = 1;
            while (rest[i] != '}')
            {
                var label = LabelName().Match(rest, i);
                if (!label.Success || label.Index != i) throw new FormatException($"{at}: a malformed label name");
                i += label.Length;
                if (i + 1 >= rest.Length || rest[i] != '=' || rest[i + 1] != '"') throw new FormatException($"{at}: label {label.Value} has no =\"");
                i += 2;
                var value = new StringBuilder();
                for (; ; i++)
                {
                    if (i >= rest.Length) throw new FormatException($"{at}: an unterminated label value");
                    if (rest[i] == '"') break;
                    if (rest[i] == '\\')
                    {
                        i++;
                        value.Append(rest[i] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"{at}: the escape \\{rest[i]} is not allowed"),
                        });
                        continue;
                    }

                    value.Append(rest[i]);
                }

                i++;
                if (!labels.TryAdd(label.Value, value.ToString())) throw new FormatException($"{at}: label {label.Value} given twice");
                if (rest[i] == ',') i++;
                else if (rest[i] != '}') throw new FormatException($"{at}: labels not separated by a comma");
            }

            rest = rest[(i + 1)..];
        }

        if (!rest.StartsWith(' ')) throw new FormatException($"{at}: no space before the value");
        var fields = rest.TrimStart(' ').Split(' ');
        if (fields.Length is < 1 or > 2) throw new FormatException($"{at}: expected a value and at most a timestamp");
        if (fields.Length == 2 && !long.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) throw new FormatException($"{at}: the timestamp is not an integer");
        return new PrometheusSample(name.Value, labels, Number(fields[0], at));
    }

    private static double Number(string text, string at) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when FloatText().IsMatch(text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        _ => throw new FormatException($"{at}: '{text}' is not a value"),
    };

    [GeneratedRegex("[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex MetricName();

    [GeneratedRegex("[a-zA-Z_][a-zA-Z0-9_]*")]
    private static partial Regex LabelName();

    [GeneratedRegex(@"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")]
    private static partial Regex FloatText();
}
