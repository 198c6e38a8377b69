using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The field selectors every kind supports (<c>metadata.name</c>, <c>metadata.namespace</c>, with <c>=</c>,
/// <c>==</c>, <c>!=</c>, comma-joined): kubectl uses them to get or watch one object by name. Any other field is
/// refused as the API server refuses a field it does not index for that kind.
/// </summary>
internal static class FieldSelector
{
    public static Func<JsonObject, bool> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return _ => true;
        var terms = new List<Func<JsonObject, bool>>();
        foreach (var term in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var negate = term.Contains("!=", StringComparison.Ordinal);
            var parts = term.Split(negate ? "!=" : term.Contains("==", StringComparison.Ordinal) ? "==" : "=", 2);
            if (parts.Length != 2) throw ApiError.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            var (field, value) = (parts[0].Trim(), parts[1].Trim());
            Func<JsonObject, string> read = field switch
            {
                "metadata.name" => o => ObjectTable.Text(o["metadata"]?["name"]),
                "metadata.namespace" => o => ObjectTable.Text(o["metadata"]?["namespace"]),
                _ => throw ApiError.BadRequest($"field label not supported: {field}"),
            };
            terms.Add(o => (read(o) == value) != negate);
        }

        return o => terms.All(t => t(o));
    }
}
