using System.Globalization;
using System.Text;

namespace Archiver.Emulators.Cluster.Snapshots;

/// <summary>
/// Go's <c>%q</c> of a string, as the snapshot controllers and the external-provisioner wrap errors in their messages
/// (<c>fmt.Errorf("...: %q", err)</c>): double-quoted, with <c>\"</c>, <c>\\</c> and control characters escaped.
/// </summary>
internal static class GoText
{
    public static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                < ' ' => $"\\x{(int)c:x2}",
                _ => c.ToString(CultureInfo.InvariantCulture),
            });
        }

        return quoted.Append('"').ToString();
    }
}
