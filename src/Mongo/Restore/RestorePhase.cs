namespace Archiver.Mongo.Restore;

/// <summary>Where a restore is; reported with each progress update.</summary>
public enum RestorePhase
{
    Planning,
    LoadingCollections,
    BuildingIndexes,
    ReplayingOplog,
    Completed,
    Failed,

    /// <summary>Stopped before it finished (its node stopping, the target gone for a while); run again, it resumes.</summary>
    Interrupted,
}
