using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Google;
using Polly;
using Polly.Retry;

namespace Archiver.Storage.Backends;

/// <summary>
/// Which failures are worth retrying. The S3 and GCS clients' own retries are switched off so this is their one
/// retry layer: one place to tune, and a fault test sees exactly what a caller would.
/// </summary>
internal static class TransientErrors
{
    public static ResiliencePipeline Pipeline(RetrySettings settings) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = settings.MaxRetries,
                Delay = settings.BaseDelay,
                MaxDelay = settings.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();

    public static bool IsTransient(Exception exception) => exception switch
    {
        AmazonServiceException service when IsTransientStatus(service.StatusCode) => true,
        AmazonServiceException { ErrorCode: "SlowDown" or "InternalError" or "RequestTimeout" } => true,
        // GCS's retry guidance (https://cloud.google.com/storage/docs/retry-strategy): 408, 429 and 5xx.
        GoogleApiException google when IsTransientStatus(google.HttpStatusCode) => true,
        HttpRequestException or IOException or SocketException => true,
        TimeoutException => true,
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };

    private static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.InternalServerError
            or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable
            or HttpStatusCode.GatewayTimeout
            or HttpStatusCode.RequestTimeout
            or HttpStatusCode.TooManyRequests;
}
