using Amazon.Runtime;

namespace Archiver.Storage.Tests.Support;

/// <summary>Hands the S3 client our fault-injecting handler instead of its own.</summary>
internal sealed class FixedHttpClientFactory(HttpMessageHandler handler) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
}
