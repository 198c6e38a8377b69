using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.Kubernetes;
using Xunit;

namespace Archiver.Emulators.Tests.Kubernetes;

/// <summary>
/// A custom resource against its CRD's structural schema, as the API server holds it (apiextensions-apiserver
/// pruning, validation and CEL rules): undeclared fields pruned with a warning or refused under
/// <c>fieldValidation=Strict</c>, every violation a cause of one 422 in the API server's words, transition rules
/// against the stored object on update, defaults set where a field is absent, date-times parsed, and a CRD whose rule
/// the stand-in cannot evaluate, or whose schema is not structural, refused.
/// </summary>
public sealed class SchemaValidationTests
{
    private const string Crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    private const string Widgets = "/apis/example.com/v1/namespaces/default/widgets";

    [Fact]
    public async Task Undeclared_fields_are_pruned_with_a_warning_and_refused_when_strict()
    {
        await using var api = await StartAsync();
        using var http = new HttpClient { BaseAddress = api.Url };

        var (created, createdBody, warnings) = await SendAsync(http, HttpMethod.Post, Widgets, Widget("w", new JsonObject { ["size"] = 3, ["colour"] = "red" }));
        var (strict, strictBody, _) = await SendAsync(http, HttpMethod.Post, Widgets + "?fieldValidation=Strict", Widget("s", new JsonObject { ["size"] = 3, ["colour"] = "red" }));

        Assert.Equal(201, created);
        Assert.Null(createdBody["spec"]?["colour"]);
        Assert.Equal(["299 - \"unknown field \\\"spec.colour\\\"\""], warnings);
        Assert.Equal(400, strict);
        Assert.Equal("Widget in version \"v1\" cannot be handled as a Widget: strict decoding error: unknown field \"spec.colour\"", strictBody["message"]?.GetValue<string>());
    }

    [Fact]
    public async Task Every_violation_is_a_cause_of_one_422_and_a_transition_rule_compares_with_the_stored_object()
    {
        await using var api = await StartAsync();
        using var http = new HttpClient { BaseAddress = api.Url };

        var (invalid, invalidBody, _) = await SendAsync(http, HttpMethod.Post, Widgets, Widget("bad", new JsonObject { ["size"] = "three", ["mode"] = "loud" }));
        var (created, _, _) = await SendAsync(http, HttpMethod.Post, Widgets, Widget("w", new JsonObject { ["size"] = 3, ["mode"] = "quiet", ["name"] = "a" }));
        var (renamed, renamedBody, _) = await SendAsync(http, HttpMethod.Patch, Widgets + "/w", new JsonObject { ["spec"] = new JsonObject { ["name"] = "b" } }, "application/merge-patch+json");
        var (resized, _, _) = await SendAsync(http, HttpMethod.Patch, Widgets + "/w", new JsonObject { ["spec"] = new JsonObject { ["size"] = 4 } }, "application/merge-patch+json");

        Assert.Equal(422, invalid);
        Assert.Equal("Widget.example.com \"bad\" is invalid: [spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\", "
            + "spec.mode: Unsupported value: \"loud\": supported values: \"quiet\", \"normal\"]", invalidBody["message"]?.GetValue<string>());
        Assert.Equal(2, (invalidBody["details"]?["causes"] as JsonArray)?.Count);
        Assert.Equal(201, created);
        Assert.Equal(422, renamed);
        Assert.Equal("Widget.example.com \"w\" is invalid: spec.name: Invalid value: \"string\": name is immutable", renamedBody["message"]?.GetValue<string>());
        Assert.Equal(200, resized);
    }

    [Fact]
    public async Task A_CRD_whose_rule_the_stand_in_cannot_evaluate_is_refused()
    {
        await using var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { CustomResourceDefinitions = [] });
        using var http = new HttpClient { BaseAddress = api.Url };
        var crd = Crd();
        crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!["x-kubernetes-validations"] = new JsonArray(new JsonObject { ["rule"] = "self.all(k, k != 'x')" });

        var (code, body, _) = await SendAsync(http, HttpMethod.Post, Crds, crd);

        Assert.Equal(422, code);
        Assert.StartsWith("CustomResourceDefinition.apiextensions.k8s.io \"widgets.example.com\" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: \"self.all(k, k != 'x')\": compilation failed: ",
            body["message"]?.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_default_is_set_where_the_field_is_absent_and_its_parent_is_there()
    {
        await using var api = await StartAsync();
        using var http = new HttpClient { BaseAddress = api.Url };

        var (_, absent, _) = await SendAsync(http, HttpMethod.Post, Widgets, Widget("a", new JsonObject { ["size"] = 1 }));
        var (_, given, _) = await SendAsync(http, HttpMethod.Post, Widgets, Widget("g", new JsonObject { ["size"] = 1, ["mode"] = "quiet" }));
        var (_, noSpec, _) = await SendAsync(http, HttpMethod.Post, Widgets, new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Widget", ["metadata"] = new JsonObject { ["name"] = "n" } });

        Assert.Equal("normal", absent["spec"]?["mode"]?.GetValue<string>());
        Assert.Equal("quiet", given["spec"]?["mode"]?.GetValue<string>());
        Assert.Null(noSpec["spec"]);
    }

    [Fact]
    public async Task A_date_time_is_parsed_not_only_matched()
    {
        await using var api = await StartAsync();
        using var http = new HttpClient { BaseAddress = api.Url };

        var (good, _, _) = await SendAsync(http, HttpMethod.Post, Widgets, Widget("a", new JsonObject { ["size"] = 1, ["since"] = "2020-10-28T01:48:23.1213145+03:00" }));
        var (month, monthBody, _) = await SendAsync(http, HttpMethod.Post, Widgets, Widget("b", new JsonObject { ["size"] = 1, ["since"] = "2020-13-28T01:48:23Z" }));
        var (day, _, _) = await SendAsync(http, HttpMethod.Post, Widgets, Widget("c", new JsonObject { ["size"] = 1, ["since"] = "2021-02-29T01:48:23Z" }));

        Assert.Equal(201, good);
        Assert.Equal(422, month);
        Assert.Equal("Widget.example.com \"b\" is invalid: spec.since: Invalid value: \"2020-13-28T01:48:23Z\": spec.since in body must be of type date-time: \"2020-13-28T01:48:23Z\"", monthBody["message"]?.GetValue<string>());
        Assert.Equal(422, day);
    }

    [Fact]
    public async Task A_CRD_whose_schema_is_not_structural_is_refused()
    {
        await using var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { CustomResourceDefinitions = [] });
        using var http = new HttpClient { BaseAddress = api.Url };
        var untyped = Crd();
        untyped["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!["properties"]!["size"]!.AsObject().Remove("type");
        var both = Crd();
        both["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!["additionalProperties"] = new JsonObject { ["type"] = "string" };

        var (untypedCode, untypedBody, _) = await SendAsync(http, HttpMethod.Post, Crds, untyped);
        var (bothCode, bothBody, _) = await SendAsync(http, HttpMethod.Post, Crds, both);

        Assert.Equal(422, untypedCode);
        Assert.Equal("CustomResourceDefinition.apiextensions.k8s.io \"widgets.example.com\" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[size].type: Required value: must not be empty for specified object fields",
            untypedBody["message"]?.GetValue<string>());
        Assert.Equal(422, bothCode);
        Assert.Equal("CustomResourceDefinition.apiextensions.k8s.io \"widgets.example.com\" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive",
            bothBody["message"]?.GetValue<string>());
    }

    private static async Task<KubernetesEmulator> StartAsync() =>
        await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { CustomResourceDefinitions = [Crd()] });

    private static JsonObject Crd() => new()
    {
        ["apiVersion"] = "apiextensions.k8s.io/v1",
        ["kind"] = "CustomResourceDefinition",
        ["metadata"] = new JsonObject { ["name"] = "widgets.example.com" },
        ["spec"] = new JsonObject
        {
            ["group"] = "example.com",
            ["scope"] = "Namespaced",
            ["names"] = new JsonObject { ["kind"] = "Widget", ["plural"] = "widgets", ["singular"] = "widget", ["listKind"] = "WidgetList" },
            ["versions"] = new JsonArray(new JsonObject
            {
                ["name"] = "v1",
                ["served"] = true,
                ["storage"] = true,
                ["schema"] = new JsonObject
                {
                    ["openAPIV3Schema"] = JsonNode.Parse("""
                        {
                          "type": "object",
                          "properties": {
                            "spec": {
                              "type": "object",
                              "required": ["size"],
                              "properties": {
                                "size": {"type": "integer", "minimum": 0},
                                "mode": {"type": "string", "enum": ["quiet", "normal"], "default": "normal"},
                                "since": {"type": "string", "format": "date-time"},
                                "name": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "name is immutable"}]}
                              }
                            }
                          }
                        }
                        """),
                },
            }),
        },
    };

    private static JsonObject Widget(string name, JsonObject spec) => new()
    {
        ["apiVersion"] = "example.com/v1",
        ["kind"] = "Widget",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = spec,
    };

    private static async Task<(int Code, JsonObject Body, List<string> Warnings)> SendAsync(HttpClient http, HttpMethod method, string path, JsonNode body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, contentType) };
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var warnings = response.Headers.TryGetValues("Warning", out var values) ? values.ToList() : [];
        return ((int)response.StatusCode, JsonNode.Parse(text) as JsonObject ?? [], warnings);
    }
}
