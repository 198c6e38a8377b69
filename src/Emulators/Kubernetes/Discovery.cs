using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The unaggregated discovery documents kubectl reads to map kinds to resources (kubernetes/apimachinery
/// <c>pkg/apis/meta/v1/types.go</c>: APIVersions, APIGroupList, APIGroup, APIResourceList) and <c>/version</c>.
/// Aggregated discovery (<c>apidiscovery.k8s.io/v2</c>) is not served: these answers are always
/// <c>application/json</c>, and client-go falls back to the per-group documents when the Content-Type is not the
/// aggregated one (client-go <c>discovery/discovery_client.go</c>).
/// </summary>
internal static partial class Discovery
{
    public static JsonObject Version(string gitVersion)
    {
        var match = VersionNumbers().Match(gitVersion);
        return new JsonObject
        {
            ["major"] = match.Groups[1].Value,
            ["minor"] = match.Groups[2].Value,
            ["gitVersion"] = gitVersion,
            ["gitCommit"] = "0000000000000000000000000000000000000000",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2026-01-01T00:00:00Z",
            ["goVersion"] = "none (Archiver's Kubernetes API emulator)",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        };
    }

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject GroupList(ApiResources resources) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray([.. resources.Groups().Select(g => (JsonNode)Group(g.Group, g.Versions, withKind: false))]),
    };

    public static JsonObject? Group(ApiResources resources, string group) =>
        resources.Groups().Where(g => g.Group == group).Select(g => Group(g.Group, g.Versions, withKind: true)).FirstOrDefault();

    /// <summary>The APIResourceList of one group version, each kind followed by its subresources; null if none.</summary>
    public static JsonObject? ResourceList(ApiResources resources, string group, string version)
    {
        var types = resources.All().Where(t => t.Group == group && t.Version == version).ToList();
        if (types.Count == 0) return null;
        var list = new JsonArray();
        foreach (var type in types)
        {
            var resource = new JsonObject
            {
                ["name"] = type.Plural,
                ["singularName"] = type.Singular,
                ["namespaced"] = type.Namespaced,
                ["kind"] = type.Kind,
                ["verbs"] = Strings(type.Verbs),
            };
            if (type.ShortNames.Count > 0) resource["shortNames"] = Strings(type.ShortNames);
            if (type.Categories.Count > 0) resource["categories"] = Strings(type.Categories);
            list.Add(resource);
            if (type.HasStatus)
            {
                list.Add(new JsonObject
                {
                    ["name"] = $"{type.Plural}/status",
                    ["singularName"] = "",
                    ["namespaced"] = type.Namespaced,
                    ["kind"] = type.Kind,
                    ["verbs"] = Strings(["get", "patch", "update"]),
                });
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = list,
        };
    }

    /// <summary>
    /// Kubernetes version priority (apimachinery <c>pkg/version/helpers.go</c>): GA before beta before alpha, higher
    /// numbers first; the first is a group's preferred version.
    /// </summary>
    public static IEnumerable<string> ByPriority(IEnumerable<string> versions) =>
        versions.OrderBy(v => KubeVersion().Match(v) is { Success: true } m ? m.Groups[2].Value switch { "" => 0, "beta" => 1, _ => 2 } : 3)
            .ThenByDescending(v => KubeVersion().Match(v) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0)
            .ThenByDescending(v => KubeVersion().Match(v) is { Success: true, Groups: var g } && g[3].Value.Length > 0 ? int.Parse(g[3].Value, System.Globalization.CultureInfo.InvariantCulture) : 0)
            .ThenBy(v => v, StringComparer.Ordinal);

    private static JsonObject Group(string name, List<string> versions, bool withKind)
    {
        var ordered = ByPriority(versions).ToList();
        JsonObject Version(string v) => new() { ["groupVersion"] = $"{name}/{v}", ["version"] = v };
        var group = new JsonObject();
        if (withKind)
        {
            group["kind"] = "APIGroup";
            group["apiVersion"] = "v1";
        }

        group["name"] = name;
        group["versions"] = new JsonArray([.. ordered.Select(v => (JsonNode)Version(v))]);
        group["preferredVersion"] = Version(ordered[0]);
        return group;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);

    [GeneratedRegex(@"^v(\d+)\.(\d+)")]
    private static partial Regex VersionNumbers();

    [GeneratedRegex(@"^v(\d+)(?:(alpha|beta)(\d+))?$")]
    private static partial Regex KubeVersion();
}
