using Archiver.Actors.Ports;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using System.Text.Json.Nodes;
using Archiver.Messages.Resources;

namespace Archiver.Host.Api;

/// <summary>What <c>apply</c>, <c>get</c> and <c>delete</c> did to one resource.</summary>
public enum ApplyAction
{
    Created,
    Configured,
    Unchanged,
}

/// <summary>The store's typed operations for a kind known only by name, as the command line names it.</summary>
public abstract class ResourceOperations
{
    public abstract ResourceKind Kind { get; }

    public abstract Task<Resource?> GetAsync(IResourceStore store, ResourceId id, CancellationToken cancellation);

    public abstract Task<IReadOnlyList<Resource>> ListAsync(IResourceStore store, string? @namespace, CancellationToken cancellation);

    public abstract Task<bool> DeleteAsync(IResourceStore store, ResourceId id, CancellationToken cancellation);

    /// <summary>
    /// Creates it, or replaces metadata and spec of the one there (as <c>kubectl apply</c>); status is the controllers'.
    /// <paramref name="admit"/> changes what is created, as a mutating admission webhook would (never what is replaced).
    /// </summary>
    public abstract Task<ApplyAction> ApplyAsync(
        IResourceStore store, Resource resource, CancellationToken cancellation, Func<Resource, CancellationToken, Task<Resource>>? admit = null);

    public static ResourceOperations For(ResourceKind kind) => (ResourceOperations)Activator.CreateInstance(typeof(Typed<>).MakeGenericType(kind.Type), kind)!;

    private sealed class Typed<T>(ResourceKind kind) : ResourceOperations
        where T : Resource
    {
        public override ResourceKind Kind => kind;

        public override async Task<Resource?> GetAsync(IResourceStore store, ResourceId id, CancellationToken cancellation) =>
            await store.GetAsync<T>(id, cancellation);

        public override async Task<IReadOnlyList<Resource>> ListAsync(IResourceStore store, string? @namespace, CancellationToken cancellation) =>
            [.. await store.ListAsync<T>(@namespace, cancellation)];

        public override Task<bool> DeleteAsync(IResourceStore store, ResourceId id, CancellationToken cancellation) =>
            store.DeleteAsync<T>(id, cancellation);

        public override async Task<ApplyAction> ApplyAsync(
            IResourceStore store, Resource resource, CancellationToken cancellation, Func<Resource, CancellationToken, Task<Resource>>? admit = null)
        {
            var id = ResourceId.Of(resource);
            for (var attempt = 0; ; attempt++)
            {
                var existing = await store.GetAsync<T>(id, cancellation);
                if (existing is null)
                {
                    try
                    {
                        await store.CreateAsync((T)(admit is null ? resource : await admit(resource, cancellation)), cancellation);
                        return ApplyAction.Created;
                    }
                    catch (ResourceConflictException) when (attempt < 3)
                    {
                        continue;
                    }
                }

                var current = ManifestWriter.ToJsonNode(existing);
                var merged = current.DeepClone();
                Merge(merged.AsObject(), ManifestWriter.ToJsonNode(resource).AsObject());
                if (JsonNode.DeepEquals(current, merged)) return ApplyAction.Unchanged;
                try
                {
                    await store.ReplaceAsync((T)kind.FromJson(merged.ToJsonString()), cancellation);
                    return ApplyAction.Configured;
                }
                catch (ResourceConflictException) when (attempt < 3)
                {
                    // A controller wrote it between our read and our write: read again and apply again.
                }
            }
        }

        /// <summary>
        /// The applied fields over the stored object, objects merged key by key, lists and values replaced: what a
        /// controller added (the mutator's <c>spec.archiver</c>, the spec-hash annotation) survives a re-apply of the
        /// same file, as with <c>kubectl apply --server-side</c>. Status is never taken from a manifest.
        /// </summary>
        private static void Merge(JsonObject into, JsonObject from)
        {
            foreach (var (name, value) in from)
            {
                if (name == "status") continue;
                if (value is JsonObject child && into[name] is JsonObject existing && name != "selector" && name != "matchLabels")
                {
                    Merge(existing, child);
                }
                else
                {
                    into[name] = value?.DeepClone();
                }
            }
        }
    }
}
