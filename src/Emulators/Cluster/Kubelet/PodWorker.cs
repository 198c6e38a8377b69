using System.Globalization;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>
/// The kubelet's work for one pod (pkg/kubelet/pod_workers.go, kuberuntime_manager.go SyncPod), from its creation to its
/// end: an address and a folder (the "sandbox"), the volumes, the init containers one after the other, then the
/// containers, restarted as <c>restartPolicy</c> says with a doubling back-off, probed, and the pod's status written
/// back whenever it changes. When the pod is deleted its containers get SIGTERM and, after
/// <c>terminationGracePeriodSeconds</c>, SIGKILL; then its address is given back and its folder removed.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class PodWorker
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);
    private readonly KubeletServices _services;
    private readonly CancellationTokenSource _terminate = new();
    private readonly List<ContainerSlot> _init;
    private readonly List<ContainerSlot> _containers;
    private JsonObject _pod;
    private TimeSpan? _grace;
    private PodContext? _context;
    private JsonObject? _written;
    private readonly Dictionary<string, string> _conditionTimes = [];
    private string _startTime = "";

    public PodWorker(JsonObject pod, KubeletServices services, Task previous)
    {
        _pod = pod;
        _services = services;
        _init = [.. J.Objects(pod["spec"]?["initContainers"]).Select(c => new ContainerSlot(c, init: true))];
        _containers = [.. J.Objects(pod["spec"]?["containers"]).Select(c => new ContainerSlot(c, init: false))];
        Completion = Task.Run(() => RunAsync(previous));
    }

    public string Uid => J.Uid(_pod);

    public string Namespace => J.Namespace(_pod);

    public string Name => J.Name(_pod);

    /// <summary>Completes once the pod's processes are gone and its address is free.</summary>
    public Task Completion { get; }

    /// <summary>The pod's folder, where its containers' logs are.</summary>
    public string Folder => Path.Combine(_services.StateFolder, "pods", Uid);

    /// <summary>Runs a command in a running container (what <c>kubectl exec</c> would); null when it is not running.</summary>
    public Task<(int ExitCode, string Output)?> ExecAsync(string container, IReadOnlyList<string> command, TimeSpan timeout) =>
        _containers.FirstOrDefault(s => s.Name == container && s.Running)?.Run!.ExecAsync(command, timeout)
            ?? Task.FromResult<(int, string)?>(null);

    /// <summary>SIGKILL to a running container (no SIGTERM, no grace); false when it is not running. The kubelet then sees it exit 137.</summary>
    public async Task<bool> KillAsync(string container)
    {
        if (_containers.FirstOrDefault(s => s.Name == container && s.Running)?.Run is not { } run) return false;
        await run.KillAsync().ConfigureAwait(false);
        _services.Log.Write($"kubelet: {Namespace}/{Name} container {container} killed (SIGKILL)");
        return true;
    }

    /// <summary>The newest version of the pod (its spec may change: images, labels, annotations).</summary>
    public void Update(JsonObject pod)
    {
        _pod = pod;
        if (_context is { } context) context.Pod = pod;
        foreach (var slot in _containers)
        {
            if (J.Objects(pod["spec"]?["containers"]).FirstOrDefault(c => J.Text(c["name"]) == slot.Name) is { } spec) slot.Spec = spec;
        }
    }

    /// <summary>Stops the pod: its containers get SIGTERM, then SIGKILL after the grace period (the pod's, or the one given).</summary>
    public void Terminate(TimeSpan? grace = null)
    {
        _grace = grace;
        _terminate.Cancel();
    }

    private async Task RunAsync(Task previous)
    {
        // A pod of the same name still stopping (a StatefulSet pod deleted and made again) goes first: two incarnations
        // of one member must never serve at once.
        await previous.ConfigureAwait(false);
        var address = _services.Network.Addresses.NextPod();
        try
        {
            Directory.CreateDirectory(Folder);
            var hosts = Path.Combine(Folder, "etc-hosts");
            _context = new PodContext(_pod, address, Folder, _services);
            var hostname = ContainerEnvironment.Hostname(_pod);
            var subdomain = J.Text(_pod["spec"]?["subdomain"]);
            _services.Network.Register(Uid, hosts, address,
                subdomain.Length > 0 ? $"{hostname}.{subdomain}.{Namespace}.svc.cluster.local {hostname}" : hostname);
            _startTime = J.Now(_services.Time);
            _services.Log.Write($"kubelet: pod {Namespace}/{Name} gets {address}");
            while (!_terminate.IsCancellationRequested)
            {
                try
                {
                    await SyncAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // A sync that failed (a volume that could not be written, a process that could not start) is tried again.
                    _services.Log.Write($"kubelet: pod {Namespace}/{Name}: sync failed: {e.Message}");
                }

                if (Terminal() is not null)
                {
                    await WriteStatusAsync().ConfigureAwait(false);
                    break;
                }

                await WriteStatusAsync().ConfigureAwait(false);
                try
                {
                    await Task.Delay(Tick, _terminate.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Deleted: stop below.
                }
            }

            if (!_terminate.IsCancellationRequested)
            {
                // Finished (a Job's pod): its address is released; it stays, with its logs, until it is deleted.
                _services.Network.Unregister(Uid);
                _services.Network.Addresses.Release(address);
                await WaitForTerminationAsync().ConfigureAwait(false);
            }

            await StopAllAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _services.Log.Write($"kubelet: pod {Namespace}/{Name}: {e}");
            await StopAllAsync().ConfigureAwait(false);
        }
        finally
        {
            _services.Network.Unregister(Uid);
            _services.Network.Addresses.Release(address);
            _services.Forget(Uid);
            try
            {
                if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a process that was just killed: the stand-in's folder goes at dispose.
            }

            _services.Log.Write($"kubelet: pod {Namespace}/{Name} ({Uid}) stopped");
        }
    }

    private async Task WaitForTerminationAsync()
    {
        try
        {
            await Task.Delay(Timeout.Infinite, _terminate.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Deleted.
        }
    }

    private async Task StopAllAsync()
    {
        var grace = _grace ?? TimeSpan.FromSeconds(J.Int(_pod["spec"]?["terminationGracePeriodSeconds"], 30));
        await Task.WhenAll(_init.Concat(_containers).Where(s => s.Run is not null).Select(s => s.Run!.StopAsync(grace))).ConfigureAwait(false);
    }

    /// <summary>One pass of SyncPod: volumes, init containers, containers, probes.</summary>
    private async Task SyncAsync()
    {
        var context = _context!;
        var now = _services.Time.GetUtcNow();
        try
        {
            PodVolumes.Sync(context);
        }
        catch (ContainerConfigException e)
        {
            foreach (var slot in _init.Concat(_containers).Where(s => s.Run is null)) slot.Waiting = (e.Reason, e.Message);
            return;
        }

        foreach (var slot in _init.Concat(_containers)) Reap(slot, now);
        var policy = RestartPolicy();
        foreach (var slot in _init)
        {
            if (slot.Succeeded) continue;
            if (!slot.Running) await StartIfDueAsync(slot, now, policy == "Never" ? "Never" : "OnFailure").ConfigureAwait(false);
            return;
        }

        foreach (var slot in _containers.Where(s => !s.Running))
        {
            await StartIfDueAsync(slot, now, policy).ConfigureAwait(false);
        }

        await Task.WhenAll(_containers.Where(s => s.Running).Select(s => ProbeAsync(s, now))).ConfigureAwait(false);
    }

    /// <summary>Notices a container that ended: its termination becomes its state, the run is done.</summary>
    private void Reap(ContainerSlot slot, DateTimeOffset now)
    {
        if (slot.Run is not { Exited.IsCompleted: true } run || slot.Terminated is not null && slot.Terminated["containerID"]?.GetValue<string>() == run.Id) return;
        var code = run.Exited.Result;
        slot.LastExitCode = code;
        slot.Terminated = new JsonObject
        {
            ["exitCode"] = code,
            ["reason"] = code == 0 ? "Completed" : "Error",
            ["startedAt"] = Format(slot.StartedAt),
            ["finishedAt"] = Format(now),
            ["containerID"] = run.Id,
        };
        _services.Log.Write($"kubelet: {Namespace}/{Name} container {slot.Name} exited with {code}");
    }

    private async Task StartIfDueAsync(ContainerSlot slot, DateTimeOffset now, string policy)
    {
        if (slot.Terminated is not null)
        {
            var again = policy == "Always" || (policy == "OnFailure" && slot.LastExitCode != 0);
            if (!again) return;
            if (now < slot.NotBefore)
            {
                slot.Waiting = ("CrashLoopBackOff", $"back-off {slot.Backoff.TotalSeconds:0}s restarting failed container={slot.Name} pod={Name}_{Namespace}({Uid})");
                return;
            }
        }

        try
        {
            var run = await StartAsync(slot).ConfigureAwait(false);
            if (slot.Terminated is not null)
            {
                slot.Restarts++;
                slot.LastTerminated = slot.Terminated;
                // The kubelet's back-off doubles from its base up to five minutes (pkg/kubelet/kubelet.go MaxContainerBackOff).
                slot.Backoff = slot.Backoff == TimeSpan.Zero ? _services.RestartBackoff : TimeSpan.FromTicks(Math.Min(slot.Backoff.Ticks * 2, TimeSpan.FromMinutes(5).Ticks));
                slot.NotBefore = now + slot.Backoff;
            }

            slot.Terminated = null;
            slot.Run = run;
            slot.StartedAt = now;
            slot.Waiting = null;
            slot.Readiness = slot.Spec["readinessProbe"] is JsonObject r ? new Probe(r, now) : null;
            slot.Liveness = slot.Spec["livenessProbe"] is JsonObject l ? new Probe(l, now) : null;
            slot.Startup = slot.Spec["startupProbe"] is JsonObject s ? new Probe(s, now) : null;
            _services.Log.Write($"kubelet: {Namespace}/{Name} container {slot.Name} started ({run.Id})");
        }
        catch (ContainerConfigException e)
        {
            if (slot.Waiting != (e.Reason, e.Message)) _services.Log.Write($"kubelet: {Namespace}/{Name} container {slot.Name}: {e.Reason}: {e.Message}");
            slot.Waiting = (e.Reason, e.Message);
        }
    }

    private async Task<IContainerRun> StartAsync(ContainerSlot slot)
    {
        var context = _context!;
        var image = J.Text(slot.Spec["image"]);
        switch (_services.Images.KindOf(image))
        {
            case ImageKind.Mongo:
                return await _services.Members.StartAsync(_pod, context.Address, DataPath(slot.Spec)).ConfigureAwait(false);
            case ImageKind.Archiver:
                var env = ContainerEnvironment.Build(context, slot.Spec);
                var command = ArchiverCommand(slot.Spec, env);
                var logs = Path.Combine(Folder, "logs");
                Directory.CreateDirectory(logs);
                return ProcessContainer.Start(command, BaseEnvironment(env), [.. ImageMounts(), .. Mounts(slot.Spec)], ContainerEnvironment.Hostname(_pod),
                    Path.Combine(Folder, "etc-hosts"), J.Text(slot.Spec["workingDir"]) is { Length: > 0 } dir ? dir : null,
                    Path.Combine(Folder, $"{slot.Name}.sh"), Path.Combine(logs, $"{slot.Name}.log"), p => _services.CreatedMountPoints.TryAdd(p, true));
            default:
                throw new ContainerConfigException("ErrImagePull",
                    $"the cluster stand-in pulls no images: it runs the archiver's image and MongoDB's image only, not \"{image}\" (see docs/emulators.md)");
        }
    }

    /// <summary>
    /// Where a MongoDB container keeps its data on this machine: the folder of the volume it mounts at its dbPath
    /// (<c>--dbpath</c>, else mongod's default <c>/data/db</c>; mongod's configuration-file options page), or under a
    /// volume mounted above it; null when no volume holds it (mongod would write into its container's own layer, which
    /// dies with it: the member keeps nothing).
    /// </summary>
    private string? DataPath(JsonObject container)
    {
        var args = (container["args"] as JsonArray ?? []).Concat(container["command"] as JsonArray ?? []).Select(J.Text).ToList();
        var dbPath = "/data/db";
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i].StartsWith("--dbpath=", StringComparison.Ordinal)) dbPath = args[i]["--dbpath=".Length..];
            else if (args[i] == "--dbpath" && i + 1 < args.Count) dbPath = args[i + 1];
        }

        dbPath = dbPath.TrimEnd('/');
        return Mounts(container)
            .Select(m => (m.Source, Target: m.Target.TrimEnd('/')))
            .Where(m => dbPath == m.Target || dbPath.StartsWith(m.Target + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Target.Length)
            .Select(m => Path.Combine(m.Source, dbPath[m.Target.Length..].TrimStart('/')))
            .FirstOrDefault();
    }

    /// <summary>
    /// The archiver image's entrypoint is the <c>archiver</c> executable: here the product as built,
    /// <c>dotnet archiver.dll</c>. <c>command</c> replaces the entrypoint (one naming <c>archiver</c> means it), <c>args</c>
    /// follow, each with <c>$(VAR)</c> expanded.
    /// </summary>
    private List<string> ArchiverCommand(JsonObject container, List<KeyValuePair<string, string>> env)
    {
        string Expand(string text) => Expansion.Expand(text, n => ContainerEnvironment.Lookup(env, n));
        var command = (container["command"] as JsonArray ?? []).Select(J.Text).Select(Expand).ToList();
        var args = (container["args"] as JsonArray ?? []).Select(J.Text).Select(Expand).Select(PodAddress).ToList();
        List<string> entry = [_services.DotnetHost, $"{ImageFolder}/{Path.GetFileName(_services.ArchiverAssembly)}"];
        if (command.Count == 0) return [.. entry, .. args];
        return Path.GetFileName(command[0]) == "archiver" ? [.. entry, .. command.Skip(1), .. args] : [.. command, .. args];
    }

    /// <summary>
    /// Pods here share the machine's network namespace (docs/emulators.md), each on an address of its own. In a pod
    /// of its own, binding every interface (<c>0.0.0.0</c>) is binding the pod's address and its loopback; here it
    /// would take the port on every pod's address at once, so the second replica of a StatefulSet could not start.
    /// An argument naming the unspecified address is given the pod's address instead, so manifests run as written.
    /// </summary>
    private string PodAddress(string argument) => AllInterfaces().Replace(argument, _context!.Address.ToString());

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\d.])0\.0\.0\.0(?![\d.])")]
    private static partial System.Text.RegularExpressions.Regex AllInterfaces();

    /// <summary>
    /// The image's own files where an image has them, at paths of the container's root rather than of this machine:
    /// the built product at <see cref="ImageFolder"/> and the pod's home at <see cref="ImageHome"/>. Bind-mounted, they
    /// stay reachable however the container's volumes cover the machine's folders (an emptyDir at /tmp hides a
    /// build or a state folder there) and whatever the permissions of their folders on this machine.
    /// </summary>
    private List<(string Source, string Target, bool ReadOnly)> ImageMounts()
    {
        var home = Path.Combine(Folder, "home");
        Directory.CreateDirectory(home);
        return [(Path.GetDirectoryName(Path.GetFullPath(_services.ArchiverAssembly))!, ImageFolder, true), (home, ImageHome, false)];
    }

    private const string ImageFolder = "/app";
    private const string ImageHome = "/home/app";

    /// <summary>What the image's environment would give: a PATH, a HOME, the .NET runtime's location; then the container's.</summary>
    private List<KeyValuePair<string, string>> BaseEnvironment(List<KeyValuePair<string, string>> container)
    {
        List<KeyValuePair<string, string>> env =
        [
            new("PATH", Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            new("HOME", ImageHome),
            new("DOTNET_CLI_TELEMETRY_OPTOUT", "1"),
            new("ARCHIVER_STANDIN", $"{_services.StandInId} {Namespace}/{Name}"),
        ];
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root) env.Add(new("DOTNET_ROOT", root));
        env.RemoveAll(e => container.Any(c => c.Key == e.Key));
        env.AddRange(container);
        return env;
    }

    private List<(string Source, string Target, bool ReadOnly)> Mounts(JsonObject container)
    {
        var context = _context!;
        List<(string, string, bool)> mounts = [];
        foreach (var mount in J.Objects(container["volumeMounts"]))
        {
            var name = J.Text(mount["name"]);
            if (!context.Volumes.TryGetValue(name, out var source))
            {
                throw new ContainerConfigException("CreateContainerConfigError", $"volumeMount \"{name}\" names no volume of the pod");
            }

            var subPath = J.Text(mount["subPath"]);
            mounts.Add((subPath.Length > 0 ? Path.Combine(source, subPath) : source, J.Text(mount["mountPath"]), J.Bool(mount["readOnly"], false)));
        }

        if (context.ServiceAccountFolder is { } token && mounts.All(m => m.Item2.TrimEnd('/') != PodVolumes.ServiceAccountMountPath))
        {
            mounts.Add((token, PodVolumes.ServiceAccountMountPath, true));
        }

        return mounts;
    }

    private async Task ProbeAsync(ContainerSlot slot, DateTimeOffset now)
    {
        var run = slot.Run!;
        if (slot.Startup is { } startup && startup.Passing != true)
        {
            if (now >= startup.NextAt) await startup.RunAsync(_context!, slot.Spec, run, now).ConfigureAwait(false);
            if (startup.Passing == false) await RestartAsync(slot, "startup", startup.LastMessage).ConfigureAwait(false);
            return;
        }

        var due = new[] { slot.Readiness, slot.Liveness }.Where(p => p is not null && now >= p.NextAt).Select(p => p!.RunAsync(_context!, slot.Spec, run, now));
        await Task.WhenAll(due).ConfigureAwait(false);
        if (slot.Liveness is { Passing: false } liveness) await RestartAsync(slot, "liveness", liveness.LastMessage).ConfigureAwait(false);
    }

    /// <summary>A failed liveness (or startup) probe: the container is killed, with its grace period, and started again.</summary>
    private async Task RestartAsync(ContainerSlot slot, string probe, string message)
    {
        _services.Log.Write($"kubelet: {Namespace}/{Name} container {slot.Name} failed {probe} probe, will be restarted: {message}");
        await slot.Run!.StopAsync(TimeSpan.FromSeconds(J.Int(_pod["spec"]?["terminationGracePeriodSeconds"], 30))).ConfigureAwait(false);
    }

    private string RestartPolicy() => J.Text(_pod["spec"]?["restartPolicy"]) is { Length: > 0 } policy ? policy : "Always";

    /// <summary>Succeeded or Failed once no container runs or will run again, as for a Job's pod; else null.</summary>
    private string? Terminal()
    {
        var policy = RestartPolicy();
        if (policy == "Always" || _containers.Count == 0) return null;
        if (_init.Any(s => s.Terminated is not null && !s.Succeeded) && policy == "Never") return "Failed";
        if (_containers.Any(s => s.Terminated is null)) return null;
        if (_containers.All(s => s.Succeeded)) return "Succeeded";
        return policy == "Never" ? "Failed" : null;
    }

    private async Task WriteStatusAsync()
    {
        var status = Status();
        if (_written is not null && JsonNode.DeepEquals(status, _written)) return;
        try
        {
            // The uid is a precondition: a status meant for this pod never lands on a new one of the same name.
            await _services.Api.MergePatchAsync(Api.Kind.Pod.Status(Namespace, Name),
                new JsonObject { ["metadata"] = new JsonObject { ["uid"] = Uid }, ["status"] = status.DeepClone() }, CancellationToken.None).ConfigureAwait(false);
            _written = status;
        }
        catch (ApiException e) when (e.Code is 404 or 409)
        {
            // Deleted (or replaced) meanwhile: the kubelet is about to be told.
        }
    }

    private JsonObject Status()
    {
        var phase = Terminal() ?? (_init.All(s => s.Succeeded) && _containers.All(s => s.Running || s.Terminated is not null) ? "Running" : "Pending");
        var initialized = _init.All(s => s.Succeeded);
        var ready = phase == "Running" && _containers.All(s => s.Ready);
        var address = _context!.Address.ToString();
        var status = new JsonObject
        {
            ["phase"] = phase,
            ["conditions"] = new JsonArray(
                Condition("PodReadyToStartContainers", true),
                Condition("Initialized", initialized),
                Condition("Ready", ready),
                Condition("ContainersReady", ready),
                Condition("PodScheduled", true)),
            ["hostIP"] = "127.0.0.1",
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = "127.0.0.1" }),
            ["podIP"] = address,
            ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = address }),
            ["startTime"] = _startTime,
            ["qosClass"] = "BestEffort",
            ["containerStatuses"] = new JsonArray([.. _containers.Select(ContainerStatus)]),
        };
        if (_init.Count > 0) status["initContainerStatuses"] = new JsonArray([.. _init.Select(ContainerStatus)]);
        return status;
    }

    private JsonNode ContainerStatus(ContainerSlot slot)
    {
        JsonObject state = slot switch
        {
            { Running: true } => new JsonObject { ["running"] = new JsonObject { ["startedAt"] = Format(slot.StartedAt) } },
            { Waiting: { } waiting } => new JsonObject { ["waiting"] = new JsonObject { ["reason"] = waiting.Reason, ["message"] = waiting.Message } },
            { Terminated: { } terminated } => new JsonObject { ["terminated"] = terminated.DeepClone() },
            _ => new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } },
        };
        var status = new JsonObject
        {
            ["name"] = slot.Name,
            ["image"] = J.Text(slot.Spec["image"]),
            ["imageID"] = "",
            ["ready"] = slot.Ready,
            ["started"] = slot.Started,
            ["restartCount"] = slot.Restarts,
            ["state"] = state,
            ["lastState"] = slot.LastTerminated is { } last ? new JsonObject { ["terminated"] = last.DeepClone() } : new JsonObject(),
        };
        if (slot.Run is { } run) status["containerID"] = run.Id;
        return status;
    }

    private JsonObject Condition(string type, bool value)
    {
        var text = value ? "True" : "False";
        if (!_conditionTimes.TryGetValue(type + text, out var since))
        {
            since = J.Now(_services.Time);
            _conditionTimes.Remove(type + (value ? "False" : "True"));
            _conditionTimes[type + text] = since;
        }

        return new JsonObject { ["type"] = type, ["status"] = text, ["lastProbeTime"] = null, ["lastTransitionTime"] = since };
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
