namespace Archiver.Emulators.Cluster.Snapshots;

/// <summary>
/// A CSI call's gRPC error, worded as grpc-go prints a status (<c>rpc error: code = NotFound desc = …</c>), which is
/// how the sidecars quote it in their messages.
/// </summary>
internal sealed class CsiException(string code, string description) : Exception($"rpc error: code = {code} desc = {description}")
{
    public string Code { get; } = code;
}
