using k8s.Models;

namespace Archiver.Messages.Validation;

/// <summary>Label selectors: checking them as the API server does, and matching labels against them.</summary>
public static class LabelSelectors
{
    private static readonly string[] Operators = ["In", "NotIn", "Exists", "DoesNotExist"];

    public static IEnumerable<(string Path, string Reason)> Check(V1LabelSelector selector, string path)
    {
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (KubernetesNames.CheckQualifiedName(key) is { } keyError) yield return ($"{path}.matchLabels", keyError);
            if (KubernetesNames.CheckLabelValue(value ?? "") is { } valueError) yield return ($"{path}.matchLabels.{key}", valueError);
        }

        var expressions = selector.MatchExpressions ?? [];
        for (var i = 0; i < expressions.Count; i++)
        {
            var expression = expressions[i];
            var at = $"{path}.matchExpressions[{i}]";
            if (string.IsNullOrEmpty(expression.Key)) yield return ($"{at}.key", "required");
            else if (KubernetesNames.CheckQualifiedName(expression.Key) is { } keyError) yield return ($"{at}.key", keyError);
            var values = expression.Values ?? [];
            switch (expression.OperatorProperty)
            {
                case null or "":
                    yield return ($"{at}.operator", "required");
                    break;
                case "In" or "NotIn" when values.Count == 0:
                    yield return ($"{at}.values", $"must not be empty when operator is {expression.OperatorProperty}");
                    break;
                case "Exists" or "DoesNotExist" when values.Count > 0:
                    yield return ($"{at}.values", $"must be empty when operator is {expression.OperatorProperty}");
                    break;
                case var op when !Operators.Contains(op):
                    yield return ($"{at}.operator", $"must be one of {string.Join(", ", Operators)}, not \"{op}\"");
                    break;
            }

            for (var v = 0; v < values.Count; v++)
            {
                if (KubernetesNames.CheckLabelValue(values[v]) is { } valueError) yield return ($"{at}.values[{v}]", valueError);
            }
        }
    }

    /// <summary>Whether labels match: every matchLabels pair and every expression. An empty selector matches everything.</summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels)
    {
        if (selector is null) return true;
        labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
        }

        return (selector.MatchExpressions ?? []).All(e => e.OperatorProperty switch
        {
            "In" => labels.TryGetValue(e.Key, out var v) && (e.Values ?? []).Contains(v),
            "NotIn" => !labels.TryGetValue(e.Key, out var v) || !(e.Values ?? []).Contains(v),
            "Exists" => labels.ContainsKey(e.Key),
            "DoesNotExist" => !labels.ContainsKey(e.Key),
            _ => false,
        });
    }

    public static bool IsEmpty(V1LabelSelector? selector) =>
        selector is null || ((selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0);
}
