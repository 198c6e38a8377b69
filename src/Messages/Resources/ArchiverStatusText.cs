namespace Archiver.Messages.Resources;

/// <summary>
/// How a database's archiving figures read where people look (<c>archiver get -o wide</c>, the status page), the same in
/// each: a figure Archiver cannot know is said to be unknown, never shown as a number it is not.
/// </summary>
public static class ArchiverStatusText
{
    public const string Unknown = "unknown";

    /// <summary>
    /// <c>status.archiver.lag</c>, or <see cref="Unknown"/> when it is absent while the database should be archived: its
    /// archiver has not reported, or the replica set cannot be read (see the <c>Archiving</c> condition). Absent for a
    /// database not archiving, where there is nothing to lag behind.
    /// </summary>
    public static string? Lag(string? lag, string? phase) =>
        lag ?? (phase is nameof(DatabaseArchiverPhase.Archiving) or nameof(DatabaseArchiverPhase.Blocked) ? Unknown : null);
}
