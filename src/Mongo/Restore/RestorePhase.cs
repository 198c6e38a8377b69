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
}
