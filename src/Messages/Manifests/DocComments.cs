using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Archiver.Messages.Manifests;

/// <summary>
/// The <c>summary</c> of each type, property and enum value in a compiler-written XML documentation file
/// (<c>GenerateDocumentationFile</c>, Directory.Build.props), as plain text: <c>&lt;c&gt;x&lt;/c&gt;</c> becomes
/// <c>x</c>, a <c>see cref</c> the member's short name, and white space one space. These are the descriptions the
/// CRD schemas carry, which <c>kubectl explain</c> shows.
/// </summary>
public sealed partial class DocComments
{
    private readonly Dictionary<string, string> _summaries;

    private DocComments(Dictionary<string, string> summaries) => _summaries = summaries;

    /// <summary>No descriptions: for callers that need only the schemas' rules.</summary>
    public static DocComments Empty { get; } = new([]);

    /// <summary>Reads a documentation file's text (<c>&lt;doc&gt;&lt;members&gt;&lt;member name="P:..."&gt;</c>).</summary>
    public static DocComments Parse(string xml)
    {
        var summaries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in XDocument.Parse(xml).Descendants("member"))
        {
            if (member.Attribute("name")?.Value is { } name && member.Element("summary") is { } summary)
            {
                summaries[name] = Plain(summary);
            }
        }

        return new DocComments(summaries);
    }

    public string? Of(Type type) => Find($"T:{Id(type)}");

    public string? Of(PropertyInfo property) => Find($"P:{Id(property.DeclaringType!)}.{property.Name}");

    public string? Of(FieldInfo field) => Find($"F:{Id(field.DeclaringType!)}.{field.Name}");

    private string? Find(string id) => _summaries.TryGetValue(id, out var text) && text.Length > 0 ? text : null;

    private static string Id(Type type) => (type.FullName ?? type.Name).Replace('+', '.');

    private static string Plain(XElement summary)
    {
        var text = new StringBuilder();
        foreach (var node in summary.Nodes())
        {
            text.Append(node switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "see" or "seealso" } see => ShortName(see.Attribute("cref")?.Value ?? see.Attribute("langword")?.Value ?? see.Value),
                XElement { Name.LocalName: "para" } para => " " + Plain(para) + " ",
                XElement element => Plain(element),
                _ => "",
            });
        }

        return Spaces().Replace(text.ToString(), " ").Trim();
    }

    // "P:Archiver.Messages.Resources.BackupStorageSecrets.Named(...)" → "Named".
    private static string ShortName(string cref)
    {
        var name = cref.Contains(':', StringComparison.Ordinal) ? cref[(cref.IndexOf(':', StringComparison.Ordinal) + 1)..] : cref;
        if (name.IndexOf('(', StringComparison.Ordinal) is var open and >= 0) name = name[..open];
        return name[(name.LastIndexOf('.') + 1)..];
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
