using System.Text.RegularExpressions;

namespace Archiver.Messages.Configuration;

/// <summary>
/// The per-database folder of an archiver's backup storage, such as <c>db/$APP_KIND/$APP_NAMESPACE/$APP_NAME</c>.
/// Variables are written <c>$NAME</c> or <c>${NAME}</c>; only the three below exist, so a typo is an error
/// rather than an empty folder name. The expansion must stay inside the storage: no absolute paths, no <c>..</c>.
/// </summary>
public static partial class PrefixTemplate
{
    public const string Default = "db/$APP_KIND/$APP_NAMESPACE/$APP_NAME";
    public static readonly IReadOnlyList<string> Variables = ["APP_KIND", "APP_NAMESPACE", "APP_NAME"];

    /// <summary>Every problem with a template, empty when it is valid.</summary>
    public static IReadOnlyList<string> Check(string template)
    {
        var problems = new List<string>();
        foreach (Match match in Variable().Matches(template))
        {
            var name = match.Groups["braced"].Success ? match.Groups["braced"].Value : match.Groups["bare"].Value;
            if (!Variables.Contains(name))
            {
                problems.Add($"unknown variable ${name}; the variables are {string.Join(", ", Variables.Select(v => "$" + v))}");
            }
        }

        var literal = Variable().Replace(template, "x");
        if (literal.Contains('$', StringComparison.Ordinal)) problems.Add("has a '$' that starts no variable");
        problems.AddRange(CheckPath(literal));
        return problems;
    }

    public static string Expand(string template, string kind, string @namespace, string name)
    {
        if (Check(template) is [var first, ..]) throw new FormatException($"prefix \"{template}\": {first}");
        return Variable().Replace(template, match => (match.Groups["braced"].Success ? match.Groups["braced"].Value : match.Groups["bare"].Value) switch
        {
            "APP_KIND" => kind,
            "APP_NAMESPACE" => @namespace,
            _ => name,
        });
    }

    /// <summary>Checks a relative folder path inside a storage: no leading '/', no '..', no empty segments.</summary>
    public static IEnumerable<string> CheckPath(string path)
    {
        if (path.StartsWith('/')) yield return "must be relative to the storage, not start with '/'";
        var segments = path.TrimEnd('/').Split('/');
        if (segments.Any(s => s is ".." or ".")) yield return "must not contain '.' or '..' segments";
        if (path.Length > 0 && segments.Skip(path.StartsWith('/') ? 1 : 0).Any(s => s.Length == 0)) yield return "must not contain empty segments ('//')";
        if (!SafeCharacters().IsMatch(path)) yield return "may contain only letters, digits, '-', '_', '.' and '/'";
    }

    [GeneratedRegex(@"\$\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)\}|\$(?<bare>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Variable();

    [GeneratedRegex(@"^[A-Za-z0-9._/-]*$")]
    private static partial Regex SafeCharacters();
}
