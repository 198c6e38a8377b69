using System.Runtime.InteropServices;

namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>
/// How the kubelet writes secret, configMap, downwardAPI and projected volumes (pkg/volume/util/atomic_writer.go): the
/// files go into a fresh <c>..&lt;timestamp&gt;</c> folder, the <c>..data</c> link is swapped to it in one rename, and
/// each user-visible name is a link through <c>..data</c>. A reader sees the old set or the new one, never a mix; a
/// change of the source reaches running containers this way, never by rewriting a file they may be reading.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class AtomicWriter
{
    /// <summary>Writes <paramref name="files"/> (relative path → content, mode) into <paramref name="folder"/>; false when nothing changed.</summary>
    public static bool Write(string folder, IReadOnlyDictionary<string, (byte[] Content, UnixFileMode Mode)> files)
    {
        Directory.CreateDirectory(folder);
        var data = Path.Combine(folder, "..data");
        var current = Directory.Exists(data) ? new DirectoryInfo(data).ResolveLinkTarget(returnFinalTarget: false)?.FullName : null;
        if (current is not null && Same(current, files)) return false;

        var fresh = Path.Combine(folder, $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss.fffffff}{Random.Shared.Next(1000, 9999)}");
        Directory.CreateDirectory(fresh);
        foreach (var (relative, (content, mode)) in files)
        {
            var path = Path.Combine(fresh, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
            File.SetUnixFileMode(path, mode);
        }

        var temporary = Path.Combine(folder, "..data_tmp");
        if (new FileInfo(temporary).LinkTarget is not null) File.Delete(temporary);
        File.CreateSymbolicLink(temporary, Path.GetFileName(fresh));
        // rename(2) replaces the old link in one step; File.Move would follow the link to the folder it names.
        if (Rename(temporary, data) != 0) throw new IOException($"rename {temporary} to {data} failed: errno {Marshal.GetLastPInvokeError()}");

        var visible = files.Keys.Select(k => k.Split('/')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var name in visible)
        {
            var link = Path.Combine(folder, name);
            if (!File.Exists(link) && !Directory.Exists(link)) File.CreateSymbolicLink(link, Path.Combine("..data", name));
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(folder))
        {
            var name = Path.GetFileName(entry);
            if (name.StartsWith("..", StringComparison.Ordinal))
            {
                if (name != "..data" && entry != fresh && Directory.Exists(entry) && new DirectoryInfo(entry).LinkTarget is null) Directory.Delete(entry, recursive: true);
            }
            else if (!visible.Contains(name))
            {
                File.Delete(entry);
            }
        }

        return true;
    }

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Rename([MarshalAs(UnmanagedType.LPUTF8Str)] string from, [MarshalAs(UnmanagedType.LPUTF8Str)] string to);

    private static bool Same(string folder, IReadOnlyDictionary<string, (byte[] Content, UnixFileMode Mode)> files)
    {
        var existing = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).ToHashSet(StringComparer.Ordinal);
        return existing.SetEquals(files.Keys)
            && files.All(f => File.ReadAllBytes(Path.Combine(folder, f.Key)).AsSpan().SequenceEqual(f.Value.Content)
                && File.GetUnixFileMode(Path.Combine(folder, f.Key)) == f.Value.Mode);
    }
}
