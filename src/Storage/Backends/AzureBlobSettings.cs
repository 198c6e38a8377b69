namespace Archiver.Storage.Backends;

/// <summary>
/// Where and how to reach an Azure Blob Storage container (KubeStash's <c>provider: azure</c>: a storage account, a
/// container, an optional prefix, the account key from its Secret). The caller maps the BackupStorage onto it.
/// </summary>
public sealed record AzureBlobSettings
{
    /// <summary>The storage account.</summary>
    public required string Account { get; init; }

    /// <summary>The account's shared key (<c>AZURE_ACCOUNT_KEY</c> in KubeStash's Secret).</summary>
    public required string AccountKey { get; init; }

    public required string Container { get; init; }

    /// <summary>Optional folder inside the container that every key is placed under.</summary>
    public string Prefix { get; init; } = string.Empty;

    /// <summary>
    /// The blob service: by default <c>https://{account}.blob.core.windows.net</c>; another for a sovereign cloud or
    /// Azurite (<c>http://127.0.0.1:10000/{account}</c>).
    /// </summary>
    public Uri? ServiceUri { get; init; }

    /// <summary>How many connections a large upload or download uses at once (KubeStash's <c>maxConnections</c>).</summary>
    public int MaxConnections { get; init; } = 4;

    public RetrySettings Retry { get; init; } = new();

    public Uri ServiceUriOrDefault => ServiceUri ?? new Uri($"https://{Account}.blob.core.windows.net");
}
