using System.Text;

namespace Archiver.Emulators.Cluster.Network;

/// <summary>
/// The stand-in's block in the machine's hosts file: cluster names (<c>pod.service.ns.svc</c>, <c>service.ns.svc</c>,
/// with and without <c>.cluster.local</c>) and their addresses, between a begin and an end marker line that name the
/// stand-in and its process, so that processes outside any pod (the test, kubectl, a node run by hand) resolve them as
/// pods do through the cluster DNS. Everything outside the block is kept byte for byte. A block whose process is gone
/// (a crashed run) is removed when the next stand-in starts. Files are rewritten in place, never replaced: a pod's
/// bind mount of its own hosts file follows the file, not its name.
/// </summary>
internal sealed class HostsFile(string path, string owner)
{
    public const string Marker = "archiver-cluster-standin";
    private static readonly Lock s_sync = new();
    private string? _written;

    private string Begin => $"# BEGIN {Marker} {owner} pid={Environment.ProcessId}";

    private string End => $"# END {Marker} {owner}";

    /// <summary>Replaces this stand-in's block with <paramref name="records"/> (address, names), if it changed.</summary>
    public void Write(IReadOnlyList<(string Address, string Names)> records)
    {
        var block = new StringBuilder().AppendLine(Begin);
        foreach (var (address, names) in records) block.Append(address).Append(' ').AppendLine(names);
        block.AppendLine(End);
        var text = block.ToString();
        // Unchanged and still there (another writer of the file may have lost it in a race: then it is written again).
        if (text == _written && File.ReadAllText(path).Contains(text, StringComparison.Ordinal)) return;
        Rewrite(lines => [.. WithoutBlock(lines, owner), .. text.TrimEnd('\n').Split('\n')]);
        _written = text;
    }

    public void Remove()
    {
        Rewrite(lines => WithoutBlock(lines, owner));
        _written = null;
    }

    /// <summary>Removes every block whose process no longer runs (a stand-in that crashed or was killed).</summary>
    public static void RemoveAbandoned(string path)
    {
        lock (s_sync)
        {
            if (!File.Exists(path)) return;
            var lines = File.ReadAllLines(path).ToList();
            var dead = lines.Where(l => l.StartsWith($"# BEGIN {Marker} ", StringComparison.Ordinal))
                .Select(l => l.Split(' '))
                .Where(parts => parts.Length >= 5 && parts[4].StartsWith("pid=", StringComparison.Ordinal)
                    && int.TryParse(parts[4][4..], out var pid) && !Directory.Exists($"/proc/{pid}"))
                .Select(parts => parts[3])
                .ToList();
            if (dead.Count == 0) return;
            foreach (var id in dead) lines = WithoutBlock(lines, id);
            WriteInPlace(path, lines);
        }
    }

    /// <summary>Writes a whole file in place (a pod's own hosts file), keeping its inode.</summary>
    public static void WriteInPlace(string path, IEnumerable<string> lines)
    {
        var bytes = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
        // Overwrite, then cut: a reader never sees an empty file, at worst a stale tail for a moment.
        stream.Write(bytes);
        stream.SetLength(bytes.Length);
    }

    private void Rewrite(Func<List<string>, List<string>> change)
    {
        lock (s_sync)
        {
            var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : [];
            var changed = change(lines);
            WriteInPlace(path, changed);
        }
    }

    private static List<string> WithoutBlock(List<string> lines, string id)
    {
        var result = new List<string>();
        var inside = false;
        foreach (var line in lines)
        {
            if (line.StartsWith($"# BEGIN {Marker} {id} ", StringComparison.Ordinal)) inside = true;
            else if (inside && line == $"# END {Marker} {id}") inside = false;
            else if (!inside) result.Add(line);
        }

        return result;
    }
}
