using k8s.Models;

namespace Archiver.Messages.Validation;

/// <summary>
/// A label selector as kubectl's <c>-l</c> takes it (kubernetes/apimachinery <c>pkg/labels/selector.go</c>, Parse):
/// comma-joined requirements, each <c>key=value</c> or <c>key==value</c>, <c>key!=value</c>, <c>key</c> (exists),
/// <c>!key</c> (does not exist), <c>key in (a,b)</c> or <c>key notin (a,b)</c>. Every requirement must hold.
/// </summary>
public static class LabelSelectorText
{
    /// <summary>The selector, or the reason the text is not one (naming the requirement).</summary>
    public static (V1LabelSelector? Selector, string? Error) Parse(string text)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var expressions = new List<V1LabelSelectorRequirement>();
        foreach (var requirement in Split(text))
        {
            var term = requirement.Trim();
            if (term.Length == 0) return (null, $"'{text}' has an empty requirement");
            var set = SetBased(term);
            if (set is { } s)
            {
                if (s.Values.Count == 0 || s.Values.Any(v => v.Length == 0)) return (null, $"'{term}': a set needs one or more values, as (a,b)");
                expressions.Add(new V1LabelSelectorRequirement { Key = s.Key, OperatorProperty = s.Operator, Values = s.Values });
            }
            else if (term.Contains("!=", StringComparison.Ordinal))
            {
                var (key, value) = Pair(term, "!=");
                expressions.Add(new V1LabelSelectorRequirement { Key = key, OperatorProperty = "NotIn", Values = [value] });
            }
            else if (term.Contains('='))
            {
                var (key, value) = Pair(term, term.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                if (labels.TryGetValue(key, out var other) && other != value) return (null, $"'{text}' asks {key} to be both {other} and {value}");
                labels[key] = value;
            }
            else if (term.StartsWith('!'))
            {
                expressions.Add(new V1LabelSelectorRequirement { Key = term[1..].Trim(), OperatorProperty = "DoesNotExist" });
            }
            else
            {
                expressions.Add(new V1LabelSelectorRequirement { Key = term, OperatorProperty = "Exists" });
            }
        }

        var selector = new V1LabelSelector { MatchLabels = labels.Count > 0 ? labels : null, MatchExpressions = expressions.Count > 0 ? expressions : null };
        var problem = LabelSelectors.Check(selector, "").Select(p => $"{p.Path.TrimStart('.')}: {p.Reason}".TrimStart(':', ' ')).FirstOrDefault();
        return problem is null ? (selector, null) : (null, $"'{text}': {problem}");
    }

    /// <summary>Requirements split at commas outside parentheses (a set's values are comma-joined too).</summary>
    private static IEnumerable<string> Split(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }

    private static (string Key, string Operator, List<string> Values)? SetBased(string term)
    {
        var open = term.IndexOf('(');
        if (open < 0 || !term.EndsWith(')')) return null;
        var head = term[..open].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (head.Length != 2 || head[1] is not ("in" or "notin")) return null;
        var values = term[(open + 1)..^1].Split(',').Select(v => v.Trim()).ToList();
        return (head[0], head[1] == "in" ? "In" : "NotIn", values);
    }

    private static (string Key, string Value) Pair(string term, string op)
    {
        var at = term.IndexOf(op, StringComparison.Ordinal);
        return (term[..at].Trim(), term[(at + op.Length)..].Trim());
    }
}
