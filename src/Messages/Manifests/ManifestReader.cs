using Archiver.Messages.Validation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Archiver.Messages.Manifests;

/// <summary>
/// Reads multi-document YAML or JSON (JSON is read as the YAML it is) into typed resources, strictly: an unknown
/// field is an error that names it, and every error of every document is reported at once.
/// <para>How: YamlDotNet's node tree (the parser under KubernetesYaml) is walked against our types, which checks
/// the shape and normalises aliases, and the JSON that comes out is typed by KubernetesJson. KubernetesYaml's own
/// object mapper is not used to read: it stops at the first unknown field, and it cannot keep the fields we carry
/// without typing them (a MongoDB's <c>spec.replicas</c>) with their YAML types.</para>
/// </summary>
public static class ManifestReader
{
    public static ManifestReadResult Read(string content, bool strict = true)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(content));
        }
        catch (YamlException e)
        {
            var reason = $"not valid YAML or JSON: {FirstLine(e.InnerException?.Message ?? e.Message)}";
            return new ManifestReadResult([], [new ManifestError($"line {e.Start.Line}, column {e.Start.Column}", "", reason, (int)e.Start.Line)]);
        }

        var roots = new List<YamlNode>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode empty && YamlScalars.IsNull(empty)) continue;
            roots.AddRange(ListItems(document.RootNode) ?? [document.RootNode]);
        }

        return new ManifestReadResult([.. roots.Select((root, i) => ReadDocument(root, i + 1, strict))], []);
    }

    private static ManifestDocument ReadDocument(YamlNode root, int index, bool strict)
    {
        var fallback = $"document {index}";
        if (root is not YamlMappingNode map)
        {
            return Failed(index, fallback, "", "must be a mapping with apiVersion, kind and metadata", root);
        }

        var apiVersion = Scalar(map, "apiVersion");
        var kindName = Scalar(map, "kind");
        if (string.IsNullOrEmpty(kindName)) return Failed(index, fallback, "kind", "required", map);
        var kind = ResourceKinds.Find(kindName);
        if (kind is null)
        {
            return Failed(index, $"{fallback} ({kindName})", "kind", $"unknown kind \"{kindName}\"; Archiver reads {ResourceKinds.Describe()}", map);
        }

        var subject = Subject(kindName, map, index);
        if (apiVersion != kind.ApiVersion)
        {
            var got = string.IsNullOrEmpty(apiVersion) ? "it is missing" : $"not \"{apiVersion}\"";
            return Failed(index, subject, "apiVersion", $"must be {kind.ApiVersion} for kind {kind.Kind}, {got}", map);
        }

        var (json, fieldErrors, lines) = SchemaWalker.Walk(map, kind.Type, strict);
        var errors = fieldErrors.Select(e => new ManifestError(subject, e.Path, e.Reason, e.Line)).ToList();
        Resources.Resource resource;
        try
        {
            resource = kind.FromJson(json!.ToJsonString());
        }
        catch (System.Text.Json.JsonException e)
        {
            // The walker checks every shape the types take, so this is a gap in it: report it, never throw.
            errors.Add(new ManifestError(subject, e.Path?.TrimStart('$', '.') ?? "", e.Message));
            return new ManifestDocument(index, subject, null, errors);
        }

        var invalid = fieldErrors.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        errors.AddRange(ResourceValidator.Validate(resource, invalid).Select(e => new ManifestError(subject, e.Path, e.Reason, LineOf(e.Path, lines))));
        // Top to bottom, as the user reads the file; errors with no line (none today) last.
        return new ManifestDocument(index, subject, resource, [.. errors.OrderBy(e => e.Line ?? int.MaxValue)]);
    }

    /// <summary>The line of a field, or of the nearest enclosing field the manifest has.</summary>
    private static int? LineOf(string path, IReadOnlyDictionary<string, int> lines)
    {
        for (var at = path; ; at = at[..Math.Max(0, Math.Max(at.LastIndexOf('.'), at.LastIndexOf('[')))])
        {
            if (lines.TryGetValue(at, out var line)) return line;
            if (at.Length == 0) return null;
        }
    }

    /// <summary>The items of a <c>kind: List</c> (what <c>kubectl get -o yaml</c> writes), else null.</summary>
    private static IEnumerable<YamlNode>? ListItems(YamlNode root) =>
        root is YamlMappingNode map && Scalar(map, "kind") == "List" && Scalar(map, "apiVersion") == "v1"
        && map.Children.TryGetValue(new YamlScalarNode("items"), out var items) && items is YamlSequenceNode sequence
            ? sequence.Children
            : null;

    private static string Subject(string kind, YamlMappingNode map, int index)
    {
        var metadata = map.Children.TryGetValue(new YamlScalarNode("metadata"), out var m) ? m as YamlMappingNode : null;
        var name = metadata is null ? null : Scalar(metadata, "name");
        var ns = metadata is null ? null : Scalar(metadata, "namespace");
        if (string.IsNullOrEmpty(name)) return $"{kind} (document {index})";
        return string.IsNullOrEmpty(ns) ? $"{kind}/{name}" : $"{kind}/{ns}/{name}";
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode scalar ? scalar.Value : null;

    private static ManifestDocument Failed(int index, string subject, string path, string reason, YamlNode at) =>
        new(index, subject, null, [new ManifestError(subject, path, reason, (int)at.Start.Line)]);

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
