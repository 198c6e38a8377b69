using System.Text.RegularExpressions;

namespace Archiver.Messages.Validation;

/// <summary>The name rules of Kubernetes (k8s.io/apimachinery/pkg/util/validation), with its wording.</summary>
public static partial class KubernetesNames
{
    /// <summary>Object names: a DNS-1123 subdomain.</summary>
    public static string? CheckSubdomain(string name) =>
        name.Length > 253 ? $"must be no more than 253 characters, not {name.Length}"
        : Subdomain().IsMatch(name) ? null
        : $"must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit), not \"{name}\"";

    /// <summary>Namespaces: a DNS-1123 label.</summary>
    public static string? CheckLabel(string name) =>
        name.Length > 63 ? $"must be no more than 63 characters, not {name.Length}"
        : Label().IsMatch(name) ? null
        : $"must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit), not \"{name}\"";

    /// <summary>Label and annotation keys: an optional DNS subdomain prefix and a name of up to 63 characters.</summary>
    public static string? CheckQualifiedName(string key)
    {
        var slash = key.LastIndexOf('/');
        var prefix = slash >= 0 ? key[..slash] : null;
        var name = slash >= 0 ? key[(slash + 1)..] : key;
        if (prefix is not null && CheckSubdomain(prefix) is not null) return $"key \"{key}\" has a prefix that is not a DNS-1123 subdomain";
        return name.Length is > 0 and <= 63 && QualifiedName().IsMatch(name)
            ? null
            : $"key \"{key}\" must be a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
    }

    public static string? CheckLabelValue(string value) =>
        value.Length <= 63 && (value.Length == 0 || QualifiedName().IsMatch(value))
            ? null
            : $"value \"{value}\" must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

    /// <summary>A DNS-1123 subdomain (without its 253-character limit), as <see cref="CheckSubdomain"/> matches it.</summary>
    public const string SubdomainPattern = @"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    /// <summary>A DNS-1123 label (without its 63-character limit), as <see cref="CheckLabel"/> matches it.</summary>
    public const string LabelPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

    /// <summary>
    /// A reference's name as the validator checks it, for a CRD schema: a subdomain, or empty (an empty name is left to
    /// the rule that requires the field).
    /// </summary>
    public const string OptionalSubdomainPattern = "^$|" + SubdomainPattern;

    /// <summary>A reference's namespace as the validator checks it, for a CRD schema: a label, or empty (the holder's own).</summary>
    public const string OptionalLabelPattern = "^$|" + LabelPattern;

    [GeneratedRegex(SubdomainPattern)]
    private static partial Regex Subdomain();

    [GeneratedRegex(LabelPattern)]
    private static partial Regex Label();

    [GeneratedRegex(@"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex QualifiedName();
}
