using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.MongoDb;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Archiver.Emulators.Tests.Kubernetes;

/// <summary>
/// An admission webhook server for the tests: HTTPS on 127.0.0.1 with a certificate from a CA of its own (for the
/// names given), answering each AdmissionReview with what <c>answer</c> makes of its request, and keeping every review
/// it was sent.
/// </summary>
internal sealed class WebhookServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TestCertificateAuthority _authority;

    private WebhookServer(WebApplication app, TestCertificateAuthority authority, int port)
    {
        _app = app;
        _authority = authority;
        Port = port;
    }

    public int Port { get; }

    public ConcurrentQueue<JsonObject> Reviews { get; } = new();

    /// <summary>The CA that signed the server's certificate, base64 of its PEM: a webhook configuration's caBundle.</summary>
    public string CaBundle => Convert.ToBase64String(Encoding.ASCII.GetBytes(_authority.CaPem));

    public static async Task<WebhookServer> StartAsync(string dnsName, Func<JsonObject, JsonObject> answer)
    {
        var authority = new TestCertificateAuthority("webhook-test-ca");
        var certificate = authority.IssueServer(dnsName).Certificate;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        WebhookServer? server = null;
        app.Run(async context =>
        {
            var review = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
            server!.Reviews.Enqueue(review);
            var request = (JsonObject)review["request"]!;
            var response = answer(request);
            response["uid"] = request["uid"]!.DeepClone();
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response }.ToJsonString());
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new WebhookServer(app, authority, new Uri(address).Port);
        return server;
    }

    /// <summary>A JSONPatch response (base64 of the operations, <c>patchType: JSONPatch</c>).</summary>
    public static JsonObject Patch(JsonArray operations) => new()
    {
        ["allowed"] = true,
        ["patchType"] = "JSONPatch",
        ["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(operations.ToJsonString())),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _authority.Dispose();
    }
}
