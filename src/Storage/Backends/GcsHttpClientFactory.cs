using Google.Apis.Http;

namespace Archiver.Storage.Backends;

/// <summary>
/// The Google client's HTTP handler, capped at <c>maxConnections</c> connections to the service (KubeStash's
/// <c>maxConnections</c>): requests beyond it wait for a free connection instead of opening another.
/// </summary>
internal sealed class GcsHttpClientFactory(int maxConnections) : HttpClientFactory
{
    protected override HttpMessageHandler CreateHandler(CreateHttpClientArgs args)
    {
        var handler = base.CreateHandler(args);
        if (handler is HttpClientHandler client)
        {
            client.MaxConnectionsPerServer = maxConnections;
        }

        return handler;
    }
}
