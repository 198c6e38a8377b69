using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.Kubernetes;
using Xunit;

namespace Archiver.Emulators.Tests.Kubernetes;

/// <summary>
/// The API server stand-in calls the admission webhooks its stored configurations name, as kube-apiserver does
/// (k8s.io/apiserver pkg/admission/plugin/webhook): over TLS trusting the caBundle, JSONPatch applied before storage,
/// denials and call failures worded as the API server words them, failurePolicy deciding about the latter.
/// </summary>
public sealed class AdmissionWebhookTests
{
    private const string Mutating = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";
    private const string Validating = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";

    [Fact]
    public async Task A_mutating_webhook_patches_a_created_object_before_it_is_stored()
    {
        await using var hook = await WebhookServer.StartAsync("localhost", _ => WebhookServer.Patch(new JsonArray(
            new JsonObject { ["op"] = "add", ["path"] = "/data/added", ["value"] = "by-webhook" })));
        await using var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { CustomResourceDefinitions = [] });
        using var http = Client(api);
        await CreateAsync(http, Mutating, Configuration("MutatingWebhookConfiguration", "add.example.com", UrlConfig(hook.Port, hook.CaBundle), Rule(["CREATE"], "configmaps")));

        var (code, body) = await SendAsync(http, HttpMethod.Post, ConfigMaps, ConfigMap("cm"));

        Assert.Equal(201, code);
        Assert.Equal("by-webhook", body["data"]?["added"]?.GetValue<string>());
        Assert.Equal("by-webhook", api.Get($"{ConfigMaps}/cm")?["data"]?["added"]?.GetValue<string>());
        var request = Assert.Single(hook.Reviews)["request"]!;
        Assert.Equal("CREATE", request["operation"]?.GetValue<string>());
        Assert.Equal("""{"group":"","version":"v1","kind":"ConfigMap"}""", request["kind"]!.ToJsonString());
        Assert.Equal("""{"group":"","version":"v1","resource":"configmaps"}""", request["resource"]!.ToJsonString());
        Assert.Equal(request["kind"]!.ToJsonString(), request["requestKind"]!.ToJsonString());
        Assert.Equal("default", request["namespace"]?.GetValue<string>());
        Assert.Equal("cm", request["name"]?.GetValue<string>());
        Assert.Equal("kubernetes-admin", request["userInfo"]?["username"]?.GetValue<string>());
        Assert.Equal("default", request["object"]?["metadata"]?["namespace"]?.GetValue<string>());
        Assert.Equal("v1", request["object"]?["apiVersion"]?.GetValue<string>());
        Assert.Null(request["oldObject"]);
        Assert.False(request["dryRun"]!.GetValue<bool>());
        Assert.Equal("CreateOptions", request["options"]?["kind"]?.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(request["uid"]?.GetValue<string>()));
    }

    [Fact]
    public async Task A_denial_refuses_the_request_with_the_webhooks_status_and_stores_nothing()
    {
        await using var hook = await WebhookServer.StartAsync("localhost", _ => new JsonObject
        {
            ["allowed"] = false,
            ["status"] = new JsonObject { ["code"] = 403, ["reason"] = "Forbidden", ["message"] = "not on Sundays" },
        });
        await using var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { CustomResourceDefinitions = [] });
        using var http = Client(api);
        await CreateAsync(http, Mutating, Configuration("MutatingWebhookConfiguration", "deny.example.com", UrlConfig(hook.Port, hook.CaBundle), Rule(["CREATE"], "configmaps")));

        var (code, status) = await SendAsync(http, HttpMethod.Post, ConfigMaps, ConfigMap("cm"));

        Assert.Equal(403, code);
        Assert.Equal("Forbidden", status["reason"]?.GetValue<string>());
        Assert.Equal("admission webhook \"deny.example.com\" denied the request: not on Sundays", status["message"]?.GetValue<string>());
        Assert.Null(api.Get($"{ConfigMaps}/cm"));
    }

    [Fact]
    public async Task An_unreachable_webhook_refuses_the_request_under_Fail_and_is_skipped_under_Ignore()
    {
        var port = ClosedPort();
        await using var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { CustomResourceDefinitions = [] });
        using var http = Client(api);
        var client = UrlConfig(port, Convert.ToBase64String(Encoding.ASCII.GetBytes(api.CertificateAuthorityPem ?? "")));
        var failing = Configuration("MutatingWebhookConfiguration", "down.example.com", client, Rule(["CREATE"], "configmaps"));
        await CreateAsync(http, Mutating, failing);

        var (code, status) = await SendAsync(http, HttpMethod.Post, ConfigMaps, ConfigMap("refused"));

        Assert.Equal(500, code);
        Assert.Equal("InternalError", status["reason"]?.GetValue<string>());
        Assert.Equal(
            $"Internal error occurred: failed calling webhook \"down.example.com\": failed to call webhook: Post \"https://127.0.0.1:{port}/mutate?timeout=2s\": dial tcp 127.0.0.1:{port}: connect: connection refused",
            status["message"]?.GetValue<string>());
        Assert.Null(api.Get($"{ConfigMaps}/refused"));

        // The same webhook with failurePolicy Ignore: the request proceeds unchanged.
        var (patchCode, _) = await SendAsync(http, HttpMethod.Patch, $"{Mutating}/down.example.com",
            new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/webhooks/0/failurePolicy", ["value"] = "Ignore" }), "application/json-patch+json");
        Assert.Equal(200, patchCode);
        var (ignoredCode, _) = await SendAsync(http, HttpMethod.Post, ConfigMaps, ConfigMap("ignored"));
        Assert.Equal(201, ignoredCode);
    }

    [Fact]
    public async Task A_connection_the_webhook_resets_is_a_call_failure_in_Gos_words()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var resetting = Task.Run(async () =>
        {
            // A server that dies mid-handshake: it reads the client's hello, then resets the connection.
            using var client = await listener.AcceptTcpClientAsync();
            await client.GetStream().ReadExactlyAsync(new byte[1]);
            client.Client.LingerState = new LingerOption(true, 0);
        });
        await using var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { CustomResourceDefinitions = [] });
        using var http = Client(api);
        await CreateAsync(http, Mutating, Configuration("MutatingWebhookConfiguration", "reset.example.com", UrlConfig(port, ""), Rule(["CREATE"], "configmaps")));

        var (code, status) = await SendAsync(http, HttpMethod.Post, ConfigMaps, ConfigMap("cm"));
        await resetting;

        Assert.Equal(500, code);
        var message = status["message"]?.GetValue<string>() ?? "";
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(message,
            $"^Internal error occurred: failed calling webhook \"reset\\.example\\.com\": failed to call webhook: Post \"https://127\\.0\\.0\\.1:{port}/mutate\\?timeout=2s\": (read tcp 127\\.0\\.0\\.1:[0-9]+->127\\.0\\.0\\.1:{port}: read: connection reset by peer|EOF)$"), message);
    }

    [Fact]
    public async Task A_webhook_whose_certificate_the_caBundle_does_not_sign_is_a_call_failure()
    {
        await using var hook = await WebhookServer.StartAsync("localhost", _ => new JsonObject { ["allowed"] = true });
        await using var other = await WebhookServer.StartAsync("localhost", _ => new JsonObject { ["allowed"] = true });
        await using var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { CustomResourceDefinitions = [] });
        using var http = Client(api);
        await CreateAsync(http, Mutating, Configuration("MutatingWebhookConfiguration", "untrusted.example.com", UrlConfig(hook.Port, other.CaBundle), Rule(["CREATE"], "configmaps")));

        var (code, status) = await SendAsync(http, HttpMethod.Post, ConfigMaps, ConfigMap("cm"));

        Assert.Equal(500, code);
        Assert.EndsWith("tls: failed to verify certificate: x509: certificate signed by unknown authority", status["message"]?.GetValue<string>());
        Assert.Empty(hook.Reviews);
    }

    [Fact]
    public async Task A_service_webhook_is_dialled_where_the_resolver_says_and_must_be_named_service_namespace_svc()
    {
        await using var hook = await WebhookServer.StartAsync("hook.default.svc", _ => WebhookServer.Patch(new JsonArray(
            new JsonObject { ["op"] = "add", ["path"] = "/metadata/labels", ["value"] = new JsonObject { ["seen"] = "yes" } })));
        await using var wrongName = await WebhookServer.StartAsync("localhost", _ => new JsonObject { ["allowed"] = true });
        await using var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions
        {
            CustomResourceDefinitions = [],
            ResolveService = (ns, name) => ns == "default" && name is "hook" or "wrong" ? IPAddress.Loopback : null,
        });
        using var http = Client(api);
        await CreateAsync(http, "/api/v1/namespaces/default/services", Service("hook", hook.Port));
        await CreateAsync(http, Mutating, Configuration("MutatingWebhookConfiguration", "svc.example.com", ServiceConfig("hook", hook.Port, hook.CaBundle), Rule(["CREATE"], "configmaps")));

        var (code, body) = await SendAsync(http, HttpMethod.Post, ConfigMaps, ConfigMap("cm"));

        Assert.Equal(201, code);
        Assert.Equal("yes", body["metadata"]?["labels"]?["seen"]?.GetValue<string>());

        // A certificate for other names (localhost, 127.0.0.1) does not serve hook.default.svc; a missing Service is no address.
        await CreateAsync(http, "/api/v1/namespaces/default/services", Service("wrong", wrongName.Port));
        await CreateAsync(http, Mutating, Configuration("MutatingWebhookConfiguration", "wrong.example.com", ServiceConfig("wrong", wrongName.Port, wrongName.CaBundle), Rule(["CREATE"], "secrets")));
        await CreateAsync(http, Mutating, Configuration("MutatingWebhookConfiguration", "gone.example.com", ServiceConfig("gone", 443, hook.CaBundle), Rule(["CREATE"], "serviceaccounts")));
        var (_, misnamed) = await SendAsync(http, HttpMethod.Post, "/api/v1/namespaces/default/secrets", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "s" } });
        var (_, missing) = await SendAsync(http, HttpMethod.Post, "/api/v1/namespaces/default/serviceaccounts", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "sa" } });

        Assert.EndsWith("x509: certificate is valid for localhost, 127.0.0.1, not wrong.default.svc", misnamed["message"]?.GetValue<string>());
        Assert.Equal(
            "Internal error occurred: failed calling webhook \"gone.example.com\": failed to call webhook: Post \"https://gone.default.svc:443/mutate?timeout=2s\": service \"gone\" not found",
            missing["message"]?.GetValue<string>());
    }

    [Fact]
    public async Task Rules_choose_the_requests_and_a_validating_webhook_can_only_allow_or_deny()
    {
        await using var hook = await WebhookServer.StartAsync("localhost", request => new JsonObject
        {
            ["allowed"] = request["object"]?["data"]?["v"]?.GetValue<string>() != "bad",
            ["status"] = new JsonObject { ["message"] = "v must not be bad" },
        });
        await using var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { CustomResourceDefinitions = [] });
        using var http = Client(api);
        await CreateAsync(http, Validating, Configuration("ValidatingWebhookConfiguration", "check.example.com", UrlConfig(hook.Port, hook.CaBundle), Rule(["UPDATE"], "configmaps")));

        var created = await CreateAsync(http, ConfigMaps, ConfigMap("cm", "bad"));
        Assert.Empty(hook.Reviews);
        await CreateAsync(http, "/api/v1/namespaces/default/secrets", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "s" } });
        Assert.Empty(hook.Reviews);

        created["data"]!["v"] = "good";
        var (goodCode, _) = await SendAsync(http, HttpMethod.Put, $"{ConfigMaps}/cm", created);
        Assert.Equal(200, goodCode);
        var (badCode, status) = await SendAsync(http, HttpMethod.Patch, $"{ConfigMaps}/cm", new JsonObject { ["data"] = new JsonObject { ["v"] = "bad" } }, "application/merge-patch+json");

        Assert.Equal(400, badCode);
        Assert.Equal("admission webhook \"check.example.com\" denied the request: v must not be bad", status["message"]?.GetValue<string>());
        Assert.Equal("good", api.Get($"{ConfigMaps}/cm")?["data"]?["v"]?.GetValue<string>());
        var reviews = hook.Reviews.ToArray();
        Assert.Equal(2, reviews.Length);
        Assert.All(reviews, r => Assert.Equal("UPDATE", r["request"]?["operation"]?.GetValue<string>()));
        Assert.Equal("bad", reviews[0]["request"]?["oldObject"]?["data"]?["v"]?.GetValue<string>());
        Assert.Equal("PatchOptions", reviews[1]["request"]?["options"]?["kind"]?.GetValue<string>());
        Assert.Equal("good", reviews[1]["request"]?["oldObject"]?["data"]?["v"]?.GetValue<string>());

        // A patch that names an older version is a conflict, whether or not a webhook looks at it.
        var (staleCode, stale) = await SendAsync(http, HttpMethod.Patch, $"{ConfigMaps}/cm",
            new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = created["metadata"]!["resourceVersion"]!.DeepClone() }, ["data"] = new JsonObject { ["v"] = "other" } }, "application/merge-patch+json");
        Assert.Equal(409, staleCode);
        Assert.Equal("Conflict", stale["reason"]?.GetValue<string>());
    }

    [Fact]
    public async Task A_slow_webhook_times_out_a_dry_run_is_admitted_too_and_the_namespaceSelector_chooses_namespaces()
    {
        await using var hook = await WebhookServer.StartAsync("localhost", request =>
        {
            if (request["name"]?.GetValue<string>() == "slow") Thread.Sleep(TimeSpan.FromSeconds(3));
            return new JsonObject { ["allowed"] = true };
        });
        await using var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { CustomResourceDefinitions = [], Namespaces = ["default", "other"] });
        api.SetNamespace("default", new Dictionary<string, string> { ["webhooks"] = "on" });
        using var http = Client(api);
        var configuration = Configuration("MutatingWebhookConfiguration", "slow.example.com", UrlConfig(hook.Port, hook.CaBundle), Rule(["CREATE"], "configmaps"));
        var webhook = configuration["webhooks"]![0]!.AsObject();
        webhook["timeoutSeconds"] = 1;
        webhook["sideEffects"] = "NoneOnDryRun";
        webhook["namespaceSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["webhooks"] = "on" } };
        await CreateAsync(http, Mutating, configuration);

        var (slowCode, slow) = await SendAsync(http, HttpMethod.Post, ConfigMaps, ConfigMap("slow"));
        var (dryRunCode, dryRun) = await SendAsync(http, HttpMethod.Post, $"{ConfigMaps}?dryRun=All", ConfigMap("fast"));
        var (elsewhereCode, _) = await SendAsync(http, HttpMethod.Post, "/api/v1/namespaces/other/configmaps", ConfigMap("slow"));

        Assert.Equal(500, slowCode);
        Assert.Equal(
            $"Internal error occurred: failed calling webhook \"slow.example.com\": failed to call webhook: Post \"https://127.0.0.1:{hook.Port}/mutate?timeout=1s\": context deadline exceeded",
            slow["message"]?.GetValue<string>());
        Assert.Equal(201, dryRunCode);
        Assert.Equal("fast", dryRun["metadata"]?["name"]?.GetValue<string>());
        Assert.Null(api.Get($"{ConfigMaps}/fast"));
        Assert.Equal(201, elsewhereCode);
        Assert.Equal([false, true], hook.Reviews.Select(r => r["request"]!["dryRun"]!.GetValue<bool>()));
        Assert.Equal("All", hook.Reviews.Last()["request"]?["options"]?["dryRun"]?[0]?.GetValue<string>());
    }

    [Fact]
    public async Task A_broken_webhook_never_blocks_changes_to_webhook_configurations()
    {
        await using var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { CustomResourceDefinitions = [] });
        using var http = Client(api);
        var everything = new JsonObject
        {
            ["apiGroups"] = new JsonArray("*"),
            ["apiVersions"] = new JsonArray("*"),
            ["operations"] = new JsonArray("*"),
            ["resources"] = new JsonArray("*/*"),
        };
        await CreateAsync(http, Mutating, Configuration("MutatingWebhookConfiguration", "all.example.com", UrlConfig(ClosedPort(), ""), everything));

        var (refused, _) = await SendAsync(http, HttpMethod.Post, ConfigMaps, ConfigMap("cm"));
        var (deleted, _) = await SendAsync(http, HttpMethod.Delete, $"{Mutating}/all.example.com", null);

        Assert.Equal(500, refused);
        Assert.Equal(200, deleted);
    }

    [Fact]
    public async Task A_configuration_the_API_server_would_not_store_is_refused_with_every_error()
    {
        await using var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { CustomResourceDefinitions = [] });
        using var http = Client(api);
        var configuration = Configuration("MutatingWebhookConfiguration", "bad", new JsonObject { ["url"] = "http://127.0.0.1/mutate" }, Rule(["CREATE", "PATCH"], "configmaps"));
        var webhook = configuration["webhooks"]![0]!.AsObject();
        webhook.Remove("sideEffects");
        webhook["timeoutSeconds"] = 31;

        var (code, status) = await SendAsync(http, HttpMethod.Post, Mutating, configuration);

        Assert.Equal(422, code);
        Assert.Equal("Invalid", status["reason"]?.GetValue<string>());
        Assert.Equal(
            "MutatingWebhookConfiguration.admissionregistration.k8s.io \"bad\" is invalid: ["
            + "webhooks[0].name: Invalid value: \"bad\": should be a domain with at least three segments separated by dots, "
            + "webhooks[0].rules[0].operations[1]: Unsupported value: \"PATCH\": supported values: \"*\", \"CONNECT\", \"CREATE\", \"DELETE\", \"UPDATE\", "
            + "webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun, "
            + "webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds, "
            + "webhooks[0].clientConfig.url: Invalid value: \"http://127.0.0.1/mutate\": 'https' is the only allowed URL scheme]",
            status["message"]?.GetValue<string>());
        Assert.Equal(5, status["details"]?["causes"]?.AsArray().Count);
    }

    private static HttpClient Client(KubernetesEmulator api) => new() { BaseAddress = api.Url };

    private static async Task<JsonObject> CreateAsync(HttpClient http, string path, JsonObject body)
    {
        var (code, created) = await SendAsync(http, HttpMethod.Post, path, body);
        Assert.True(code == 201, $"creating under {path}: {code} {created.ToJsonString()}");
        return created;
    }

    private static async Task<(int Code, JsonObject Body)> SendAsync(HttpClient http, HttpMethod method, string path, JsonNode? body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, contentType);
        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static JsonObject ConfigMap(string name, string value = "1") => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["data"] = new JsonObject { ["v"] = value },
    };

    private static JsonObject Service(string name, int port) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = port }), ["selector"] = new JsonObject { ["app"] = name } },
    };

    private static JsonObject UrlConfig(int port, string caBundle) => new() { ["url"] = $"https://127.0.0.1:{port}/mutate", ["caBundle"] = caBundle };

    private static JsonObject ServiceConfig(string name, int port, string caBundle) => new()
    {
        ["service"] = new JsonObject { ["name"] = name, ["namespace"] = "default", ["path"] = "/mutate", ["port"] = port },
        ["caBundle"] = caBundle,
    };

    private static JsonObject Rule(string[] operations, string resource) => new()
    {
        ["apiGroups"] = new JsonArray(""),
        ["apiVersions"] = new JsonArray("v1"),
        ["operations"] = new JsonArray([.. operations.Select(o => (JsonNode)o)]),
        ["resources"] = new JsonArray(resource),
        ["scope"] = "Namespaced",
    };

    private static JsonObject Configuration(string kind, string name, JsonObject clientConfig, JsonObject rule) => new()
    {
        ["apiVersion"] = "admissionregistration.k8s.io/v1",
        ["kind"] = kind,
        ["metadata"] = new JsonObject { ["name"] = name },
        ["webhooks"] = new JsonArray(new JsonObject
        {
            ["name"] = name,
            ["admissionReviewVersions"] = new JsonArray("v1"),
            ["sideEffects"] = "None",
            ["timeoutSeconds"] = 2,
            ["clientConfig"] = clientConfig,
            ["rules"] = new JsonArray(rule),
        }),
    };

    /// <summary>A port nothing listens on: one just given by the system and closed again.</summary>
    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
