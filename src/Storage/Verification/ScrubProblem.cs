using System.Globalization;

namespace Archiver.Storage.Verification;

/// <summary>One object that failed verification, why, and the recoverable windows it breaks (none for a duplicate chunk).</summary>
public sealed record ScrubProblem(string Key, ScrubProblemKind Kind, string Reason, IReadOnlyList<BrokenWindow> Breaks)
{
    /// <summary>The full backup the object is a file of (null for an oplog chunk): that backup itself cannot be restored.</summary>
    public string? BackupId { get; init; }

    /// <summary>One line for a condition or a log: the object, what is wrong, and the first window it breaks.</summary>
    public string Describe()
    {
        var breaks = Breaks.Count switch
        {
            0 => "it breaks no recoverable window",
            _ => string.Create(CultureInfo.InvariantCulture, $"it breaks the window of backup {Breaks[0].Window.BackupId} (timeline {Breaks[0].Window.Timeline}) from {Breaks[0].From:O} to {Breaks[0].Window.To:O}")
                + (Breaks.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $" and {Breaks.Count - 1} more") : ""),
        };
        return $"{Key}: {Reason}; {breaks}";
    }
}
