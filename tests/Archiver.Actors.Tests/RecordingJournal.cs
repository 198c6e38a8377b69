using System.Collections.Concurrent;
using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Tests;

/// <summary>
/// A journal that keeps what it was given, in the order it was given, and what a reader saw of the object at that
/// moment (<see cref="Probe"/>); <see cref="RefuseNext"/> makes the next call fail as a full disk would.
/// </summary>
internal sealed class RecordingJournal : IResourceJournal, IArchivingJournal
{
    public ConcurrentQueue<Entry> Entries { get; } = new();

    /// <summary>Asked at each put: the version of the object a lock-free reader sees right then (null: none).</summary>
    public Func<string, ResourceId, string?>? Probe { get; set; }

    public bool RefuseNext { get; set; }

    public void Put(string kind, ResourceId id, string json, long resourceVersion)
    {
        Refuse();
        Entries.Enqueue(new Entry(kind, id.ToString(), resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Probe?.Invoke(kind, id)));
    }

    public void Delete(string kind, ResourceId id, string? resourceVersion)
    {
        Refuse();
        Entries.Enqueue(new Entry(kind, id.ToString(), "deleted", null));
    }

    public void PutNamespace(NamespaceInfo ns)
    {
        Refuse();
        Entries.Enqueue(new Entry("Namespace", ns.Name, null, null));
    }

    public void PutArchiving(ResourceId database, ArchivingSpec? spec)
    {
        Refuse();
        Entries.Enqueue(new Entry("Archiving", database.ToString(), spec?.SpecHash ?? "off", null));
    }

    private void Refuse()
    {
        if (!RefuseNext) return;
        RefuseNext = false;
        throw new IOException("no space left on device");
    }

    /// <summary>One change: what changed, its new version (or how), and the version a reader saw as it was written.</summary>
    public sealed record Entry(string Kind, string Id, string? Version, string? SeenWhileWriting);
}
