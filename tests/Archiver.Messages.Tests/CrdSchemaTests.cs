using System.Text.Json.Nodes;
using Archiver.Messages.Manifests;
using Json.Schema;
using YamlDotNet.RepresentationModel;

namespace Archiver.Messages.Tests;

/// <summary>
/// The generated CRD schemas (deploy/statefulset/crds.yaml), checked by a general JSON Schema validator: every example
/// manifest is accepted, and of the manifests that each break one validation rule (<see cref="ValidationRuleTests.Rules"/>)
/// exactly the ones listed here, the rules a schema can express, are refused, at exactly the fields listed. A rule added to the validation tests must be
/// placed in one list or the other, and a schema that grows stricter or looser than the list says fails.
/// </summary>
public sealed class CrdSchemaTests
{
    /// <summary>
    /// Rules the schema expresses (a type, an enum, a required field, an unknown field, a pattern, a minimum, a format),
    /// each with the fields the validator refuses (a required field's: the object that lacks it). Not "db timestamp
    /// month": JsonSchema.Net's <c>date-time</c> is a syntax check and takes month 13, which the API server's (kube-openapi
    /// strfmt, a parse) and the stand-in's refuse.
    /// </summary>
    private static readonly Dictionary<string, string[]> RefusedBySchema = new()
    {
        ["unknown field suggestion"] = ["/spec/retentionPolcy"],
        ["unknown field"] = ["/spec/colour"],
        ["bool"] = ["/spec/pause"],
        ["integer"] = ["/spec/fullBackup/retryConfig/maxRetry"],
        ["deletionPolicy"] = ["/spec/deletionPolicy"],
        ["concurrencyPolicy"] = ["/spec/fullBackup/scheduler/concurrencyPolicy"],
        ["failurePolicy"] = ["/spec/fullBackup/failurePolicy"],
        ["driver"] = ["/spec/fullBackup/driver"],
        ["namespaces.from"] = ["/spec/databases/namespaces/from"],
        ["required storage"] = ["/spec"],
        ["required name"] = ["/spec/backupStorage/ref"],
        ["mapping"] = ["/spec/fullBackup"],
        ["list"] = ["/spec/databases/selector/matchExpressions"],
        ["duration"] = ["/spec/fullBackup/retryConfig/delay"],
        ["duration negative"] = ["/spec/fullBackup/timeout"],
        ["chunk size syntax"] = ["/spec/walBackup/config/chunkMaxSize"],
        ["retentionPeriod"] = ["/spec/walBackup/retentionPeriod"],
        ["retention hours"] = ["/spec/walBackup/retentionPeriod"],
        ["ref name"] = ["/spec/backupStorage/ref/name"],
        ["ops operation"] = ["/spec/archiver/operation"],
        ["ops type"] = ["/spec/type"],
        ["db timestamp offset"] = ["/spec/init/archiver/recoveryTimeStamp"],
        ["snapshot type"] = ["/spec/type"],
        ["snapshot deletion"] = ["/spec/deletionPolicy"],
        ["storage bucket"] = ["/spec/storage/s3/bucket"],
        ["retention policy"] = ["/spec/maxRetentionPeriod", "/spec/successfulSnapshots/last"],
        ["three mistakes"] = ["/spec/retentionPolcy", "/spec/deletionPolicy"],
    };

    /// <summary>Manifests no CRD schema applies to: no kind or version the CRDs serve, or not a YAML mapping.</summary>
    private static readonly HashSet<string> NoSchema = ["unknown kind", "wrong apiVersion", "missing kind", "not mapping", "not yaml"];

    private static readonly Dictionary<string, JsonSchema> Schemas = ResourceKinds.All.ToDictionary(
        k => $"{k.ApiVersion}/{k.Kind}", k => KubernetesSchema.ToJsonSchema(CrdSchemas.OpenApiV3Schema(k, DocComments.Empty)));

    public static IEnumerable<object[]> ExampleFiles() =>
        Directory.GetFiles(Examples.Folder, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetRelativePath(Examples.Folder, f) });

    [Theory]
    [MemberData(nameof(ExampleFiles))]
    public void Every_example_manifest_is_accepted_by_its_kinds_schema(string file)
    {
        var documents = Documents(Examples.Read(file));

        Assert.NotEmpty(documents);
        foreach (var document in documents)
        {
            var schema = SchemaOf(document) ?? throw new InvalidOperationException($"{file}: no schema for {document["apiVersion"]}/{document["kind"]}");
            var results = KubernetesSchema.Evaluate(schema, document);
            Assert.True(results.IsValid, $"{file}: {document["metadata"]?["name"]}:\n  {string.Join("\n  ", KubernetesSchema.Errors(results))}");
        }
    }

    [Theory]
    [MemberData(nameof(ValidationRuleTests.Rules), MemberType = typeof(ValidationRuleTests))]
    public void The_schema_refuses_exactly_the_rule_breaking_manifests_it_can_express(string rule, string manifest, string[] expected)
    {
        var documents = TryDocuments(manifest);
        var schemas = documents?.Select(SchemaOf).ToList();
        if (NoSchema.Contains(rule))
        {
            Assert.True(schemas is null || schemas.Any(s => s is null), $"{rule}: a schema applies to it; take it out of NoSchema");
            return;
        }

        Assert.True(schemas is not null && schemas.All(s => s is not null), $"{rule}: no schema applies to it; list it in NoSchema");
        var failures = documents!.Zip(schemas!).SelectMany(p => KubernetesSchema.Errors(KubernetesSchema.Evaluate(p.Second!, p.First))).ToList();
        var refused = failures.Select(f => f[..f.IndexOf(": ", StringComparison.Ordinal)]).Distinct().Order(StringComparer.Ordinal);
        var listed = RefusedBySchema.GetValueOrDefault(rule) ?? [];
        Assert.True(refused.SequenceEqual(listed.Order(StringComparer.Ordinal)),
            $"{rule}: RefusedBySchema lists [{string.Join(", ", listed)}], the schema refuses:\n  {string.Join("\n  ", failures)}");
        // Never stricter than Archiver: each field the schema refuses is one Archiver's validation refuses (or, for a
        // missing required field, the object holding it).
        foreach (var pointer in listed)
        {
            var field = pointer.TrimStart('/').Replace('/', '.');
            Assert.True(expected.Any(e => e.Contains($": {field}:", StringComparison.Ordinal) || e.Contains($": {field}.", StringComparison.Ordinal)),
                $"{rule}: the schema refuses {field}, which Archiver's validation does not: {string.Join(" / ", expected)}");
        }
    }

    [Fact]
    public void The_lists_name_only_rules_the_validation_tests_have()
    {
        var rules = ValidationRuleTests.Rules.Select(r => (string)r[0]).ToHashSet();

        var unknown = RefusedBySchema.Keys.Concat(NoSchema).Where(r => !rules.Contains(r)).ToList();
        Assert.True(unknown.Count == 0, $"no such rule in ValidationRuleTests.Rules: {string.Join(", ", unknown)}");
    }

    private static JsonSchema? SchemaOf(JsonObject document) =>
        Schemas.GetValueOrDefault($"{document["apiVersion"]?.GetValue<string>()}/{document["kind"]?.GetValue<string>()}");

    private static List<JsonObject> Documents(string yaml) =>
        TryDocuments(yaml) ?? throw new InvalidOperationException("not YAML mappings");

    /// <summary>Each document as JSON with YAML's scalar types, as kubectl sends it; null when one is not a mapping or the text is not YAML.</summary>
    private static List<JsonObject>? TryDocuments(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException)
        {
            return null;
        }

        var documents = stream.Documents.Select(d => YamlScalars.ToJson(d.RootNode)).ToList();
        return documents.All(d => d is JsonObject) ? [.. documents.Cast<JsonObject>()] : null;
    }
}
