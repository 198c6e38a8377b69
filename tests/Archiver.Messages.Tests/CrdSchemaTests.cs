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
        ["storage provider KubeStash only names"] = ["/spec/storage/provider"],
        ["storage provider unknown"] = ["/spec/storage/provider"],
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
    public void A_quantity_is_an_integer_or_a_string_to_the_schema_and_to_Archiver()
    {
        const string Yaml = "apiVersion: archiver.kubedb.com/v1alpha1\nkind: MongoDBArchiver\nmetadata: {name: a, namespace: demo}\nspec: {walBackup: {config: {chunkMaxSize: 4096}}, backupStorage: {ref: {name: s}}}";
        var document = Documents(Yaml).Single();

        var results = KubernetesSchema.Evaluate(SchemaOf(document)!, document);
        // As the API server stores it (a number) and the store reads it back.
        var stored = (Resources.MongoDBArchiver)k8s.KubernetesJson.Deserialize<Resources.MongoDBArchiver>(document.ToJsonString());

        Assert.Equal(4096, document["spec"]!["walBackup"]!["config"]!["chunkMaxSize"]!.GetValue<long>());
        Assert.True(results.IsValid, string.Join("\n", KubernetesSchema.Errors(results)));
        Assert.Equal("4096", stored.Spec!.WalBackup!.Config!.ChunkMaxSize);
        Assert.Contains("\"chunkMaxSize\":\"4096\"", k8s.KubernetesJson.Serialize(stored), StringComparison.Ordinal);
        Assert.True(ManifestReader.Read(Yaml).IsValid);
    }

    [Fact]
    public void The_schema_defaults_change_neither_an_archivers_spec_hash_nor_its_validation()
    {
        // The API server sets them on every archiver it stores: they must mean exactly what their absence means to
        // Archiver, or a database would be reconfigured (its spec-hash changed) or a manifest judged otherwise.
        var kind = ResourceKinds.Find(Resources.MongoDBArchiver.KindName)!;
        var schema = CrdSchemas.OpenApiV3Schema(kind, DocComments.Empty);
        var archivers = ExampleFiles().SelectMany(f => Documents(Examples.Read((string)f[0]))).Where(d => d["kind"]?.GetValue<string>() == kind.Kind).ToList();
        var defaulted = 0;
        foreach (var original in archivers)
        {
            // The example as written, and with every field that has a default left out, so the default is what applies.
            foreach (var variant in new[] { original, WithoutDefaultedFields((JsonObject)original.DeepClone(), schema) })
            {
                var withDefaults = (JsonObject)variant.DeepClone();
                KubernetesSchema.ApplyDefaults(withDefaults, schema);
                if (!JsonNode.DeepEquals(withDefaults, variant)) defaulted++;
                var (before, after) = (ManifestReader.Read(variant.ToJsonString()), ManifestReader.Read(withDefaults.ToJsonString()));

                Assert.Equal(before.Errors.Select(e => e.ToString()), after.Errors.Select(e => e.ToString()));
                Assert.Equal(
                    Configuration.SpecHash.Compute(((Resources.MongoDBArchiver)before.Documents[0].Resource!).Spec!),
                    Configuration.SpecHash.Compute(((Resources.MongoDBArchiver)after.Documents[0].Resource!).Spec!));
            }
        }

        Assert.True(defaulted > 0, "no example archiver had a field defaulted");
    }

    private static JsonObject WithoutDefaultedFields(JsonObject node, JsonObject schema)
    {
        foreach (var (key, declared) in schema["properties"] as JsonObject ?? [])
        {
            if (declared?["default"] is not null) node.Remove(key);
            else if (node[key] is JsonObject child && declared is JsonObject childSchema) WithoutDefaultedFields(child, childSchema);
        }

        return node;
    }

    [Fact]
    public void The_lists_name_only_rules_the_validation_tests_have()
    {
        var rules = ValidationRuleTests.Rules.Select(r => (string)r[0]).ToHashSet();

        var unknown = RefusedBySchema.Keys.Concat(NoSchema).Where(r => !rules.Contains(r)).ToList();
        Assert.True(unknown.Count == 0, $"no such rule in ValidationRuleTests.Rules: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void A_value_the_schema_refuses_by_pattern_enum_minimum_or_format_is_one_Archiver_refuses_too()
    {
        // Two thousand example manifests with one string or integer changed at random (types kept: a value of the wrong
        // type is the API's to refuse, and Archiver reads a YAML scalar as a string where a string is due).
        var seeds = ExampleFiles().SelectMany(f => Documents(Examples.Read((string)f[0]))).ToList();
        var random = new Random(20261207);
        var checkedFailures = 0;
        for (var i = 0; i < 2_000; i++)
        {
            var document = (JsonObject)seeds[i % seeds.Count].DeepClone();
            Mutate(document, random);
            var results = KubernetesSchema.Evaluate(SchemaOf(document)!, document);
            var refused = (results.Details ?? [])
                .Where(d => d.Errors is { Count: > 0 } && d.Errors.Keys.Any(k => k is "pattern" or "enum" or "minimum" or "format"))
                .Select(d => d.InstanceLocation.ToString())
                .ToList();
            if (refused.Count == 0) continue;
            var errors = ManifestReader.Read(document.ToJsonString()).Errors.Select(e => e.Path).ToList();
            foreach (var pointer in refused)
            {
                checkedFailures++;
                var field = string.Concat(pointer.Split('/', StringSplitOptions.RemoveEmptyEntries)
                    .Select((segment, n) => int.TryParse(segment, out var index) ? $"[{index}]" : n == 0 ? segment : "." + segment));
                Assert.True(errors.Contains(field), $"the schema refuses {field}, Archiver does not ({string.Join(", ", errors)}): {document.ToJsonString()}");
            }
        }

        Assert.True(checkedFailures > 200, $"only {checkedFailures} refusals by pattern, enum, minimum or format were exercised");
    }

    private static void Mutate(JsonObject document, Random random)
    {
        var leaves = new List<(JsonNode Parent, object Key, JsonValue Value)>();
        Collect(document["spec"]!, leaves);
        if (leaves.Count == 0) return;
        var (parent, key, value) = leaves[random.Next(leaves.Count)];
        JsonNode replacement = value.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? JsonValue.Create(random.Next(-3, 4))
            : JsonValue.Create(random.Next(3) switch
            {
                0 => value.GetValue<string>() + Text(random),
                1 => Text(random),
                _ => Text(random) + value.GetValue<string>(),
            });
        if (parent is JsonObject map) map[(string)key] = replacement;
        else ((JsonArray)parent)[(int)key] = replacement;
    }

    // Characters that reach the patterns' edges: units, signs, separators, upper case, a space.
    private static string Text(Random random)
    {
        const string Alphabet = "abcXYZ0190 -_./:+hdwmysKiM";
        return new string([.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => Alphabet[random.Next(Alphabet.Length)])]);
    }

    private static void Collect(JsonNode node, List<(JsonNode, object, JsonValue)> into)
    {
        switch (node)
        {
            case JsonObject map:
                foreach (var (name, child) in map.ToList())
                {
                    if (child is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number) into.Add((map, name, v));
                    else if (child is not null) Collect(child, into);
                }

                break;
            case JsonArray list:
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number) into.Add((list, i, v));
                    else if (list[i] is { } child) Collect(child, into);
                }

                break;
        }
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
