namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// Where an object is stored: a kind (group and plural), a namespace (empty for cluster-scoped kinds; null for a list
/// across all namespaces), optionally one object and its status subresource.
/// </summary>
internal sealed record ResourcePath(string Group, string Version, string Plural, string? Namespace, string? Name, bool Status)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The storage address of a resource request the registry serves.</summary>
    public static ResourcePath Of(ResourceType type, RequestInfo request) => new(
        type.Group,
        type.Version,
        type.Plural,
        type.Namespaced ? (request.Namespace.Length > 0 ? request.Namespace : null) : "",
        request.Name.Length > 0 ? request.Name : null,
        request.Subresource == "status");
}
