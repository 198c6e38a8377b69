namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// A webhook that could not be called or answered with something that is not a valid AdmissionReview: what
/// kube-apiserver calls <c>ErrCallingWebhook</c> (k8s.io/apiserver <c>pkg/util/webhook/error.go</c>), the one failure
/// the webhook's <c>failurePolicy</c> decides about. The message is the reason, without the webhook's name.
/// </summary>
internal sealed class WebhookCallFailed(string reason) : Exception(reason);
