using Archiver.Messages.Protocol.OpsRequests;

namespace Archiver.Actors.Tests.Cluster;

/// <summary>One step begun on one node; <paramref name="At"/> is a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
internal sealed record StepRun(string Node, OpsRequestStep Step, long At);
