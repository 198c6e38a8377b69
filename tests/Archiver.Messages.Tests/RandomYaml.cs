using System.Globalization;
using System.Text;

namespace Archiver.Messages.Tests;

/// <summary>
/// Writes a tree of dictionaries, lists and scalars as YAML or JSON in a random but equivalent way: keys in any
/// order, block or flow style, strings quoted or plain where plain is safe, any indentation, comments.
/// </summary>
internal sealed class RandomYaml(Random random)
{
    public string Render(IReadOnlyDictionary<string, object> tree) =>
        random.Next(4) == 0 ? Json(tree) + "\n" : Block(tree, 0, random.Next(2, 5)) ;

    private string Block(IReadOnlyDictionary<string, object> map, int indent, int step)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in Shuffle(map))
        {
            if (random.Next(6) == 0) sb.Append(' ', indent).Append("# a comment\n");
            sb.Append(' ', indent).Append(Key(key)).Append(':');
            if (value is IReadOnlyDictionary<string, object> child && child.Count > 0 && random.Next(3) > 0)
            {
                sb.Append('\n').Append(Block(child, indent + step, step));
            }
            else
            {
                sb.Append(' ').Append(Flow(value)).Append('\n');
            }
        }

        return sb.ToString();
    }

    private string Flow(object value) => value switch
    {
        IReadOnlyDictionary<string, object> map => "{" + string.Join(", ", Shuffle(map).Select(p => $"{Key(p.Key)}: {Flow(p.Value)}")) + "}",
        IReadOnlyList<object> list => "[" + string.Join(", ", list.Select(Flow)) + "]",
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        string s => random.Next(3) switch
        {
            0 when IsSafePlain(s) => s,
            1 => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
            _ => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
        },
        _ => throw new ArgumentException($"cannot render {value.GetType()}"),
    };

    private string Json(object value) => value switch
    {
        IReadOnlyDictionary<string, object> map => "{" + string.Join(",", Shuffle(map).Select(p => $"\"{p.Key}\":{Json(p.Value)}")) + "}",
        IReadOnlyList<object> list => "[" + string.Join(",", list.Select(Json)) + "]",
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        string s => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
        _ => throw new ArgumentException($"cannot render {value.GetType()}"),
    };

    private string Key(string key) => random.Next(4) == 0 ? $"\"{key}\"" : key;

    private static bool IsSafePlain(string s) =>
        s.Length > 0 && char.IsAsciiLetter(s[0]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '/' or '.' or '_' or '$')
        && s is not ("true" or "false" or "null" or "yes" or "no" or "on" or "off");

    private IEnumerable<KeyValuePair<string, object>> Shuffle(IReadOnlyDictionary<string, object> map) =>
        map.OrderBy(_ => random.Next());
}
