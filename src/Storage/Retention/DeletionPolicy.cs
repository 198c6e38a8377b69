namespace Archiver.Storage.Retention;

/// <summary>What happens to archived data when the archiver (or its database) is deleted.</summary>
public enum DeletionPolicy
{
    /// <summary>Delete the resources and every object under the database's prefix.</summary>
    WipeOut,

    /// <summary>Delete the resources, keep the data.</summary>
    Delete,

    /// <summary>Keep both the resources and the data.</summary>
    DoNotDelete,
}
