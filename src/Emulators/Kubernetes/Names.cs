using System.Text.RegularExpressions;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The name rules of kubernetes/apimachinery <c>pkg/util/validation/validation.go</c>: a namespace is an RFC 1123
/// label, RBAC objects a path segment, everything else an RFC 1123 subdomain. A bad name is a 422 as there.
/// </summary>
internal static partial class Names
{
    private const string LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    public static void CheckName(ResourceType type, string name)
    {
        string? problem = null;
        if (type.Plural == "namespaces" && type.Group.Length == 0)
        {
            if (name.Length > 63) problem = "must be no more than 63 characters";
            else if (!Label().IsMatch(name)) problem = LabelMessage;
        }
        else if (type.Group == "rbac.authorization.k8s.io")
        {
            if (name is "." or "..") problem = $"may not be '{name}'";
            else if (name.Contains('/', StringComparison.Ordinal) || name.Contains('%', StringComparison.Ordinal)) problem = "may not contain '/' or '%'";
        }
        else if (name.Length > 253)
        {
            problem = "must be no more than 253 characters";
        }
        else if (!Subdomain().IsMatch(name))
        {
            problem = SubdomainMessage;
        }

        if (problem is not null)
        {
            throw ApiError.Invalid(type.QualifiedKind, name, "metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": {problem}");
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();
}
