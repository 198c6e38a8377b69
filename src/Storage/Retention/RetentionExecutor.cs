using Archiver.Storage.Backends;

namespace Archiver.Storage.Retention;

/// <summary>Carries out a retention plan, and the archiver's deletion policy.</summary>
public static class RetentionExecutor
{
    /// <summary>Deletes what the plan lists, manifests first; returns the number of objects deleted.</summary>
    public static async Task<int> ApplyAsync(IObjectStore store, RetentionPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(plan);
        var count = 0;
        foreach (var key in plan.KeysToDelete())
        {
            await store.DeleteAsync(key, cancellationToken);
            count++;
        }

        return count;
    }

    /// <summary>
    /// <see cref="DeletionPolicy.WipeOut"/> deletes every object under the database's prefix; the other policies keep
    /// the data (removing the resources is the operator's side). Returns the number of objects deleted.
    /// </summary>
    public static Task<int> ApplyDeletionPolicyAsync(
        IObjectStore store, Layout.RepositoryLayout layout, DeletionPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return policy == DeletionPolicy.WipeOut
            ? store.DeletePrefixAsync(layout.Prefix + "/", cancellationToken)
            : Task.FromResult(0);
    }
}
