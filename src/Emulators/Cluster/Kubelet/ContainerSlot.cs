using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>What the kubelet knows of one container of a pod: its current run, restarts, last end, probes and why it waits.</summary>
internal sealed class ContainerSlot(JsonObject spec, bool init)
{
    public JsonObject Spec { get; set; } = spec;

    public string Name => J.Text(Spec["name"]);

    public bool Init { get; } = init;

    public IContainerRun? Run { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public int Restarts { get; set; }

    public int? LastExitCode { get; set; }

    public JsonObject? Terminated { get; set; }

    public JsonObject? LastTerminated { get; set; }

    public (string Reason, string Message)? Waiting { get; set; } = ("ContainerCreating", "");

    /// <summary>No restart before this (CrashLoopBackOff).</summary>
    public DateTimeOffset NotBefore { get; set; }

    public TimeSpan Backoff { get; set; }

    public Probe? Readiness { get; set; }

    public Probe? Liveness { get; set; }

    public Probe? Startup { get; set; }

    public bool Running => Run is not null && !Run.Exited.IsCompleted;

    /// <summary>Started (the startup probe, if any, passed): readiness and liveness probes run from then on.</summary>
    public bool Started => Running && (Startup is null || Startup.Passing == true);

    public bool Ready => Started && (Readiness is null ? true : Readiness.Passing == true);

    public bool Succeeded => Terminated is not null && LastExitCode == 0;
}
