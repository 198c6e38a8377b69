using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// What the API server does with a custom resource against its version's structural schema
/// (apiextensions-apiserver <c>pkg/apiserver/schema/pruning</c>, <c>pkg/apiserver/validation</c>,
/// <c>pkg/apiserver/schema/cel</c>; Kubernetes docs, "Custom Resource Definitions": "Field pruning" and
/// "Validation"): fields the schema does not declare are pruned (unless <c>x-kubernetes-preserve-unknown-fields</c>),
/// and reported as <c>unknown field "spec.x"</c> (a warning, or a 400 under <c>fieldValidation=Strict</c>, kubectl's
/// default); absent fields with a <c>default</c> are set; then <c>type</c>, <c>required</c>, <c>enum</c>, <c>pattern</c>, <c>minimum</c>/<c>maximum</c>,
/// <c>format: date-time</c> and the <c>x-kubernetes-validations</c> CEL rules (<see cref="CelRule"/>, transition
/// rules against the stored object) are checked, every failure a cause of one 422 in the API server's words. An open
/// schema (<c>type: object</c>, <c>x-kubernetes-preserve-unknown-fields</c>) keeps and accepts everything, as before.
/// <c>apiVersion</c>, <c>kind</c> and <c>metadata</c> at the root are the API server's own and are not walked.
/// </summary>
internal static partial class SchemaValidation
{
    private static readonly ConcurrentDictionary<string, CelRule> Compiled = new(StringComparer.Ordinal);
    private static readonly HashSet<string> RootFields = ["apiVersion", "kind", "metadata"];

    /// <summary>The paths of the fields the schema does not declare, without changing the object.</summary>
    public static List<string> UnknownFields(JsonObject item, JsonObject? schema)
    {
        List<string> unknown = [];
        if (schema is not null) Prune((JsonObject)item.DeepClone(), schema, "", unknown, root: true);
        return unknown;
    }

    /// <summary>Prunes the undeclared fields, applies the schema's defaults, then throws the 422 of every schema violation, if any.</summary>
    public static void Check(ResourceType type, string name, JsonObject item, JsonObject? old)
    {
        if (type.Schema is not { } schema) return;
        Prune(item, schema, "", [], root: true);
        Default(item, schema);
        List<(string Field, string Type, string Message)> errors = [];
        Validate(item, old, old is not null, schema, "", errors, root: true);
        if (errors.Count > 0) throw ApiError.Invalid(type.QualifiedKind, name, errors);
    }

    /// <summary>
    /// The rules a CRD's schema carries must compile (the API server refuses a CRD whose rule does not): returns the
    /// error of the first that does not, with the path the API server names it by.
    /// </summary>
    public static (string Field, string Message)? CompileRules(JsonObject? schema, string path)
    {
        if (schema is null) return null;
        var rules = schema["x-kubernetes-validations"] as JsonArray ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = ObjectTable.Text(rules[i]?["rule"]);
            try
            {
                Rule(rule);
            }
            catch (FormatException e)
            {
                return ($"{path}.x-kubernetes-validations[{i}].rule", $"Invalid value: \"{rule}\": compilation failed: {e.Message}");
            }
        }

        foreach (var (key, child) in schema["properties"] as JsonObject ?? [])
        {
            if (CompileRules(child as JsonObject, $"{path}.properties[{key}]") is { } error) return error;
        }

        foreach (var (key, child) in new[] { ("items", schema["items"]), ("additionalProperties", schema["additionalProperties"]) })
        {
            if (CompileRules(child as JsonObject, $"{path}.{key}") is { } error) return error;
        }

        return null;
    }

    /// <summary>
    /// Sets every absent field whose schema has a <c>default</c>, in every object that is present (Kubernetes docs,
    /// "Defaulting": a default applies where the field is missing and its parent exists; nulls are pruned first, see
    /// <see cref="Defaults.PruneNulls"/>), as the API server does when it decodes a request and after mutating admission.
    /// </summary>
    public static void Default(JsonNode? node, JsonObject? schema)
    {
        if (schema is null) return;
        switch (node)
        {
            case JsonObject map:
                foreach (var (key, declared) in schema["properties"] as JsonObject ?? [])
                {
                    if (declared is not JsonObject child) continue;
                    if (!map.ContainsKey(key) && child["default"] is { } value) map[key] = value.DeepClone();
                    if (map[key] is { } present) Default(present, child);
                }

                if (schema["additionalProperties"] is JsonObject additional)
                {
                    foreach (var (_, value) in map) Default(value, additional);
                }

                break;
            case JsonArray list when schema["items"] is JsonObject items:
                foreach (var item in list) Default(item, items);
                break;
        }
    }

    private static CelRule Rule(string text) => Compiled.GetOrAdd(text, CelRule.Compile);

    private static bool PreservesUnknown(JsonObject schema) => schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;

    private static void Prune(JsonNode? node, JsonObject schema, string path, List<string> unknown, bool root = false)
    {
        switch (node)
        {
            case JsonObject map:
                var properties = schema["properties"] as JsonObject;
                var additional = schema["additionalProperties"] as JsonObject;
                foreach (var (key, value) in map.ToList())
                {
                    if (root && RootFields.Contains(key)) continue;
                    var childPath = Join(path, key);
                    if (properties?[key] is JsonObject declared)
                    {
                        Prune(value, declared, childPath, unknown);
                    }
                    else if (additional is not null)
                    {
                        Prune(value, additional, $"{path}[{key}]", unknown);
                    }
                    else if (!PreservesUnknown(schema) && schema["additionalProperties"]?.GetValueKind() != JsonValueKind.True)
                    {
                        map.Remove(key);
                        unknown.Add(childPath);
                    }
                }

                break;
            case JsonArray list when schema["items"] is JsonObject items:
                for (var i = 0; i < list.Count; i++) Prune(list[i], items, $"{path}[{i}]", unknown);
                break;
        }
    }

    private static void Validate(JsonNode? node, JsonNode? old, bool hasOld, JsonObject schema, string path, List<(string, string, string)> errors, bool root = false)
    {
        var field = path.Length == 0 ? "<nil>" : path;
        var type = ObjectTable.Text(schema["type"]);
        var actual = TypeOf(node);
        var intOrString = schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true;
        var typeOk = type.Length == 0 || actual == type || (type == "number" && actual == "integer") || (intOrString && actual is "integer" or "string");
        if (!typeOk)
        {
            errors.Add((field, "FieldValueTypeInvalid", $"Invalid value: \"{actual}\": {field} in body must be of type {type}: \"{actual}\""));
            return;
        }

        if (schema["enum"] is JsonArray choices && !choices.Any(c => JsonNode.DeepEquals(c, node)))
        {
            errors.Add((field, "FieldValueNotSupported", $"Unsupported value: {node?.ToJsonString()}: supported values: {string.Join(", ", choices.Select(c => c?.ToJsonString()))}"));
        }

        if (node is JsonValue value && actual == "string")
        {
            var text = value.GetValue<string>();
            if (ObjectTable.Text(schema["pattern"]) is { Length: > 0 } pattern && !Regex.IsMatch(text, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                errors.Add((field, "FieldValueInvalid", $"Invalid value: \"{text}\": {field} in body should match '{pattern}'"));
            }

            if (ObjectTable.Text(schema["format"]) == "date-time" && !IsDateTime(text))
            {
                errors.Add((field, "FieldValueInvalid", $"Invalid value: \"{text}\": {field} in body must be of type date-time: \"{text}\""));
            }
        }

        if (node is JsonValue number && actual is "integer" or "number")
        {
            var n = double.Parse(number.ToJsonString(), CultureInfo.InvariantCulture);
            // Bounds as numbers whatever their CLR type (a schema built in memory may hold a long, one parsed from text a JsonElement).
            if (schema["minimum"] is JsonValue min && n < double.Parse(min.ToJsonString(), CultureInfo.InvariantCulture))
            {
                errors.Add((field, "FieldValueInvalid", $"Invalid value: {number.ToJsonString()}: {field} in body should be greater than or equal to {min.ToJsonString()}"));
            }

            if (schema["maximum"] is JsonValue max && n > double.Parse(max.ToJsonString(), CultureInfo.InvariantCulture))
            {
                errors.Add((field, "FieldValueInvalid", $"Invalid value: {number.ToJsonString()}: {field} in body should be less than or equal to {max.ToJsonString()}"));
            }
        }

        if (node is JsonObject map)
        {
            foreach (var required in ObjectTable.Strings(schema["required"]))
            {
                if (!map.ContainsKey(required)) errors.Add((Join(path, required), "FieldValueRequired", "Required value"));
            }

            var properties = schema["properties"] as JsonObject;
            var additional = schema["additionalProperties"] as JsonObject;
            foreach (var (key, child) in map)
            {
                if (root && RootFields.Contains(key)) continue;
                var oldMap = old as JsonObject;
                var childHasOld = hasOld && oldMap is not null && oldMap.ContainsKey(key);
                if (properties?[key] is JsonObject declared) Validate(child, oldMap?[key], childHasOld, declared, Join(path, key), errors);
                else if (additional is not null) Validate(child, oldMap?[key], childHasOld, additional, $"{path}[{key}]", errors);
            }
        }

        if (node is JsonArray list && schema["items"] is JsonObject items)
        {
            // Items are not correlated with the old list (only map and set lists are): their transition rules do not run.
            for (var i = 0; i < list.Count; i++) Validate(list[i], null, false, items, $"{path}[{i}]", errors);
        }

        var rules = schema["x-kubernetes-validations"] as JsonArray ?? [];
        foreach (var rule in rules.OfType<JsonObject>())
        {
            var compiled = Rule(ObjectTable.Text(rule["rule"]));
            if (compiled.UsesOldSelf && !hasOld) continue;
            string? failure;
            try
            {
                failure = compiled.Holds(node, old) ? null : ObjectTable.Text(rule["message"]) is { Length: > 0 } message ? message : $"failed rule: {compiled.Text}";
            }
            catch (CelException e)
            {
                failure = $"{e.Message} evaluating rule: {compiled.Text}";
            }

            if (failure is not null) errors.Add((field, "FieldValueInvalid", $"Invalid value: \"{type}\": {failure}"));
        }
    }

    private static string TypeOf(JsonNode? node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        null => "null",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? "integer" : "number",
            _ => "null",
        },
        _ => "null",
    };

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    // RFC 3339 date-time, as strfmt's IsDateTime accepts it: its syntax, and then a parse (Go's time.Parse), which
    // refuses a month, day, hour, minute, second or offset out of range (go-openapi/strfmt time.go).
    private static bool IsDateTime(string text)
    {
        var match = DateTimePattern().Match(text);
        if (!match.Success) return false;
        int Part(string group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
        var (year, month) = (Part("y"), Part("mo"));
        return month is >= 1 and <= 12 && Part("d") >= 1 && Part("d") <= DateTime.DaysInMonth(Math.Max(year, 1), month)
            && Part("h") <= 23 && Part("mi") <= 59 && Part("s") <= 59
            && (!match.Groups["oh"].Success || (Part("oh") <= 23 && Part("om") <= 59));
    }

    [GeneratedRegex(@"^(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})[Tt ](?<h>\d{2}):(?<mi>\d{2}):(?<s>\d{2})(\.\d+)?([Zz]|[+-](?<oh>\d{2}):(?<om>\d{2}))$")]
    private static partial Regex DateTimePattern();
}
