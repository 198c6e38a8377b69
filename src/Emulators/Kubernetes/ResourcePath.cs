namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// What a request path addresses: a kind (group and plural), optionally one namespace, optionally one object and
/// its status subresource. Cluster-scoped objects (namespaces) have the empty namespace.
/// </summary>
internal sealed record ResourcePath(string Group, string Version, string Plural, string? Namespace, string? Name, bool Status)
{
    /// <summary>Parses <c>/api/v1/...</c> and <c>/apis/{group}/{version}/...</c>; null for anything else.</summary>
    public static ResourcePath? Parse(string path)
    {
        var segments = path.Trim('/').Split('/');
        string group, version;
        int rest;
        if (segments is ["api", var coreVersion, ..])
        {
            (group, version, rest) = ("", coreVersion, 2);
        }
        else if (segments is ["apis", var g, var v, ..])
        {
            (group, version, rest) = (g, v, 3);
        }
        else
        {
            return null;
        }

        return segments[rest..] switch
        {
            ["namespaces"] => new(group, version, "namespaces", "", null, false),
            ["namespaces", var name] => new(group, version, "namespaces", "", name, false),
            ["namespaces", var ns, var plural] => new(group, version, plural, ns, null, false),
            ["namespaces", var ns, var plural, var name] => new(group, version, plural, ns, name, false),
            ["namespaces", var ns, var plural, var name, "status"] => new(group, version, plural, ns, name, true),
            [var plural] => new(group, version, plural, null, null, false),
            _ => null,
        };
    }

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
}
