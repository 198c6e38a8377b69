namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>One run of a container, from its start to its exit: a process, or a MongoDB member served in-process.</summary>
internal interface IContainerRun
{
    /// <summary>Completes with the exit code when the container ends (by itself or stopped).</summary>
    Task<int> Exited { get; }

    /// <summary>What the status's <c>containerID</c> says (<c>standin://pid/1234</c>).</summary>
    string Id { get; }

    /// <summary>SIGTERM, then SIGKILL once <paramref name="grace"/> has passed, as the kubelet stops a container.</summary>
    Task StopAsync(TimeSpan grace);

    /// <summary>SIGKILL at once, without SIGTERM or grace (what the OOM killer or a crashing node does to a container); completes once it has exited.</summary>
    Task KillAsync();

    /// <summary>Runs a probe's or <c>kubectl exec</c>'s command in the container; null when the stand-in cannot run it there.</summary>
    Task<(int ExitCode, string Output)?> ExecAsync(IReadOnlyList<string> command, TimeSpan timeout);
}
