namespace Archiver.Storage.VolumeSnapshots;

/// <summary>A snapshot to take: its name and namespace, the claim, the class, and labels that say whose backup it is.</summary>
public sealed record VolumeSnapshotRequest(string Namespace, string Name, string Claim, string ClassName, IReadOnlyDictionary<string, string> Labels);
