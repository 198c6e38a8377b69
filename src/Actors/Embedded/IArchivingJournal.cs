using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Embedded;

/// <summary>
/// Where <see cref="InProcessWorkloads"/> writes each change of its archiving set before it takes effect, so what
/// <see cref="IArchivingWorkloads.EnsureArchivingAsync"/> and <see cref="IArchivingWorkloads.StopArchivingAsync"/>
/// acknowledged outlives the process (a cluster keeps it in the StatefulSets). A call returns once the change is
/// kept; one that throws fails the change, which then does not happen.
/// </summary>
public interface IArchivingJournal
{
    /// <summary>The database's archiving is on with <paramref name="spec"/>, or (null) off.</summary>
    void PutArchiving(ResourceId database, ArchivingSpec? spec);
}
