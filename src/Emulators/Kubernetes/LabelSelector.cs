using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The label selector syntax of list and watch requests (<c>a=b,c!=d,e,!f,g in (x,y),h notin (z)</c>), evaluated
/// against an object's <c>metadata.labels</c>.
/// </summary>
internal sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements = [];

    private LabelSelector()
    {
    }

    public static LabelSelector Everything { get; } = new();

    public static LabelSelector Parse(string? text)
    {
        var selector = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text)) return selector;
        foreach (var term in SplitTerms(text))
        {
            selector._requirements.Add(ParseTerm(term.Trim()));
        }

        return selector;
    }

    public bool Matches(JsonObject item)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (item["metadata"]?["labels"] is JsonObject given)
        {
            foreach (var (key, value) in given) labels[key] = value?.GetValue<string>() ?? "";
        }

        return _requirements.All(r => r(labels));
    }

    // Commas separate terms except inside the parentheses of a set.
    private static IEnumerable<string> SplitTerms(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')')
            {
                depth--;
            }
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }

    private static Func<IReadOnlyDictionary<string, string>, bool> ParseTerm(string term)
    {
        if (term.StartsWith('!')) return labels => !labels.ContainsKey(term[1..].Trim());
        var notIn = term.IndexOf(" notin ", StringComparison.Ordinal);
        if (notIn > 0)
        {
            var (key, values) = (term[..notIn].Trim(), SetOf(term[(notIn + 7)..]));
            return labels => !labels.TryGetValue(key, out var v) || !values.Contains(v);
        }

        var @in = term.IndexOf(" in ", StringComparison.Ordinal);
        if (@in > 0)
        {
            var (key, values) = (term[..@in].Trim(), SetOf(term[(@in + 4)..]));
            return labels => labels.TryGetValue(key, out var v) && values.Contains(v);
        }

        var notEqual = term.IndexOf("!=", StringComparison.Ordinal);
        if (notEqual > 0)
        {
            var (key, value) = (term[..notEqual].Trim(), term[(notEqual + 2)..].Trim());
            return labels => !labels.TryGetValue(key, out var v) || v != value;
        }

        var equal = term.IndexOf('=', StringComparison.Ordinal);
        if (equal > 0)
        {
            var key = term[..equal].Trim();
            var value = term[(equal + 1)..].TrimStart('=').Trim();
            return labels => labels.TryGetValue(key, out var v) && v == value;
        }

        return labels => labels.ContainsKey(term);
    }

    private static HashSet<string> SetOf(string text) =>
        [.. text.Trim().TrimStart('(').TrimEnd(')').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
}
