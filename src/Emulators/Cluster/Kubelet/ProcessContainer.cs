using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>
/// A container as a process of this machine, in a mount and UTS namespace of its own (<c>unshare --mount --uts</c>):
/// its hostname is the pod's, and every volume is bind-mounted at the path the container asks for (read-only when
/// asked), so it finds its service account token at <c>/var/run/secrets/kubernetes.io/serviceaccount</c> and its
/// secrets where its manifest says, and its <c>/etc/hosts</c> is the pod's own. It shares the machine's network,
/// files outside its mounts, users (it runs as root) and process table: no image file system, no cgroup limits. It
/// leads a session of its own (<c>setsid</c>), so stopping it signals every process it started.
/// </summary>
internal sealed class ProcessContainer : IContainerRun
{
    private const int SigTerm = 15;
    private const int SigKill = 9;
    private readonly Process _process;
    private readonly IReadOnlyList<KeyValuePair<string, string>> _environment;

    private ProcessContainer(Process process, IReadOnlyList<KeyValuePair<string, string>> environment)
    {
        _process = process;
        _environment = environment;
        Exited = WaitAsync();
    }

    public Task<int> Exited { get; }

    public string Id => $"standin://pid/{_process.Id}";

    public int ProcessId => _process.Id;

    /// <param name="command">The program and its arguments, as the container runs them.</param>
    /// <param name="mounts">Source on this machine, target in the container, read-only; mounted in this order.</param>
    /// <param name="createdMountPoint">Told each mount point this start had to create on the machine.</param>
    public static ProcessContainer Start(IReadOnlyList<string> command, IReadOnlyList<KeyValuePair<string, string>> environment,
        IReadOnlyList<(string Source, string Target, bool ReadOnly)> mounts, string hostname, string hostsFile, string? workingDirectory,
        string scriptPath, string logPath, Action<string> createdMountPoint)
    {
        var script = new StringBuilder()
            .AppendLine("#!/bin/sh")
            .AppendLine($"exec </dev/null >>{Quote(logPath)} 2>&1")
            .AppendLine("set -e")
            .AppendLine($"hostname {Quote(hostname)}")
            .AppendLine($"mount --bind {Quote(hostsFile)} /etc/hosts");
        var ordered = mounts.OrderBy(m => m.Target.Count(c => c == '/')).ToList();
        // A source can lie under another mount's target (the stand-in's state in /tmp, a container mounting an emptyDir
        // at /tmp): once that target is covered the source is out of reach. A kubelet's sources never are (they are
        // outside the container's root), so each source is first bound at a staging point no target covers, in this
        // namespace only, and mounted from there.
        var staging = StagingRoot(ordered.Select(m => m.Target));
        script.AppendLine($"mkdir -p {Quote(staging)}");
        createdMountPoint(Path.GetDirectoryName(staging)!);
        createdMountPoint(staging);
        for (var i = 0; i < ordered.Count; i++)
        {
            var (source, _, _) = ordered[i];
            var staged = $"{staging}/{i}";
            script.AppendLine(File.Exists(source) ? $"touch {Quote(staged)}" : $"mkdir -p {Quote(staged)}");
            createdMountPoint(staged);
            script.AppendLine($"mount --bind {Quote(source)} {Quote(staged)}");
        }

        for (var i = 0; i < ordered.Count; i++)
        {
            var (source, target, readOnly) = ordered[i];
            PrepareMountPoint(source, target, createdMountPoint);
            script.AppendLine(File.Exists(source) ? $"[ -e {Quote(target)} ] || touch {Quote(target)}" : $"mkdir -p {Quote(target)}");
            script.AppendLine($"mount --bind {Quote($"{staging}/{i}")} {Quote(target)}");
            if (readOnly) script.AppendLine($"mount -o remount,bind,ro {Quote(target)}");
        }

        script.AppendLine($"cd {Quote(workingDirectory ?? "/")}");
        script.AppendLine("exec " + string.Join(' ', command.Select(Quote)));
        File.WriteAllText(scriptPath, script.ToString());

        // setsid makes the container a session and process group of its own; unshare gives it private mounts and
        // hostname, and is replaced by the script, which is replaced by the container's program: one pid throughout.
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var arg in new[] { "unshare", "--mount", "--uts", "--propagation", "private", "--", "/bin/sh", scriptPath }) start.ArgumentList.Add(arg);
        start.Environment.Clear();
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("setsid did not start");
        process.StandardInput.Close();
        WaitForProgram(process, scriptPath);
        return new ProcessContainer(process, environment);
    }

    /// <summary>
    /// A kubelet starts the container's program once its volumes are mounted; here the script mounts them first and
    /// then becomes the program. Until it has (the pid's command line is no longer the script's), the container is
    /// not started: an exec or a probe meanwhile would see the mount points empty.
    /// </summary>
    private static void WaitForProgram(Process process, string scriptPath)
    {
        var deadline = Stopwatch.StartNew();
        while (!process.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            string commandLine;
            try
            {
                commandLine = File.ReadAllText($"/proc/{process.Id}/cmdline");
            }
            catch (IOException)
            {
                return; // Gone: the kubelet sees it exit.
            }

            var first = commandLine.Split('\0')[0];
            if (first.Length > 0 && first != "setsid" && first != "unshare" && !commandLine.Contains(scriptPath, StringComparison.Ordinal)) return;
            Thread.Sleep(5);
        }
    }

    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) return;
        Signal(SigTerm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException)
        {
            // The grace period is over.
        }

        Signal(SigKill);
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        Signal(SigKill);
        await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Where a container's sources are staged: a tmpfs-free folder of this machine under no mount target (made in the
    /// container's namespace; its bind mounts vanish with the namespace, the empty folders are reused).
    /// </summary>
    private static string StagingRoot(IEnumerable<string> targets)
    {
        static string Canonical(string path) => path.StartsWith("/var/run/", StringComparison.Ordinal) ? path["/var".Length..] : path;
        var covered = targets.Select(t => Canonical(t.TrimEnd('/') + "/")).ToList();
        return new[] { "/run", "/var/lib", "/opt", "/srv" }
            .Select(root => $"{root}/archiver-standin-mounts/{Guid.NewGuid():N}")
            .First(candidate => !covered.Any(t => (candidate + "/").StartsWith(t, StringComparison.Ordinal)));
    }

    /// <summary>The command in the container's mount and UTS namespaces (<c>nsenter</c>), with its environment, as <c>kubectl exec</c> runs one.</summary>
    public async Task<(int ExitCode, string Output)?> ExecAsync(IReadOnlyList<string> command, TimeSpan timeout)
    {
        if (_process.HasExited) return (126, "container is not running");
        var start = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in new[] { "--target", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--mount", "--uts", "--" }.Concat(command)) start.ArgumentList.Add(arg);
        start.Environment.Clear();
        foreach (var (name, value) in _environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"command timed out after {timeout.TotalSeconds} s");
        }

        return (process.ExitCode, await output.ConfigureAwait(false) + await error.ConfigureAwait(false));
    }

    /// <summary>
    /// A mount point must exist before a bind mount: missing folders (or a file, for a file source) are made on the
    /// machine, where everyone sees them, and remembered so the stand-in can take them away when it stops.
    /// </summary>
    private static void PrepareMountPoint(string source, string target, Action<string> created)
    {
        var missing = new List<string>();
        for (var folder = File.Exists(source) ? Path.GetDirectoryName(target) : target; folder is { Length: > 1 } && !Directory.Exists(folder) && !File.Exists(folder); folder = Path.GetDirectoryName(folder))
        {
            missing.Add(folder);
        }

        try
        {
            if (missing.Count > 0) Directory.CreateDirectory(missing[0]);
            foreach (var folder in missing) created(folder);
            if (File.Exists(source) && !File.Exists(target) && !Directory.Exists(target))
            {
                File.WriteAllBytes(target, []);
                created(target);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Inside a volume mounted by this same container: the script makes it after mounting the volume.
        }
    }

    private void Signal(int signal)
    {
        // The whole process group: the container's own children too (it leads its own, see Start).
        if (KillProcess(-_process.Id, signal) != 0 && !_process.HasExited) _ = KillProcess(_process.Id, signal);
    }

    private async Task<int> WaitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        return _process.ExitCode;
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    // kill(2) on a process group; a plain P/Invoke, since LibraryImport's generated code needs unsafe blocks.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int KillProcess(int pid, int signal);
}
