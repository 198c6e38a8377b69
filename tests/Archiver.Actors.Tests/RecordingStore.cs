using System.Collections.Concurrent;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s.Models;

namespace Archiver.Actors.Tests;

/// <summary>
/// The store with a log of every read of one resource, create, replace and status write, in the order they reached it:
/// a test proves something did not happen before a later point (a status write, a second look) by the order, not by
/// waiting a while and finding nothing. <see cref="As"/> gives one user of the store its own wrapper over the same log, so
/// the log tells who made each call.
/// </summary>
internal sealed class RecordingStore(IResourceStore inner, string who = "", ConcurrentQueue<RecordingStore.Entry>? log = null) : IResourceStore
{
    public enum Verb
    {
        Get,
        Create,
        Replace,
        ReplaceStatus,
    }

    /// <summary>What one call did; <c>Resource</c> is what was written (for a read, what was found), as it was then.</summary>
    public sealed record Entry(string Who, Verb Verb, Type Kind, ResourceId Id, Resource? Resource);

    private readonly ConcurrentQueue<Entry> _log = log ?? new();

    /// <summary>Everything so far, in order.</summary>
    public IReadOnlyList<Entry> Log => [.. _log];

    /// <summary>The same store and log, its calls recorded as made by <paramref name="user"/>.</summary>
    public RecordingStore As(string user) => new(inner, user, _log);

    public async Task<T?> GetAsync<T>(ResourceId id, CancellationToken cancellation = default)
        where T : Resource
    {
        var found = await inner.GetAsync<T>(id, cancellation);
        _log.Enqueue(new Entry(who, Verb.Get, typeof(T), id, found));
        return found;
    }

    public async Task<T> CreateAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource
    {
        _log.Enqueue(new Entry(who, Verb.Create, typeof(T), ResourceId.Of(resource), resource));
        return await inner.CreateAsync(resource, cancellation);
    }

    public async Task<T> ReplaceAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource
    {
        _log.Enqueue(new Entry(who, Verb.Replace, typeof(T), ResourceId.Of(resource), resource));
        return await inner.ReplaceAsync(resource, cancellation);
    }

    public async Task<T> ReplaceStatusAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource
    {
        _log.Enqueue(new Entry(who, Verb.ReplaceStatus, typeof(T), ResourceId.Of(resource), resource));
        return await inner.ReplaceStatusAsync(resource, cancellation);
    }

    public Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace = null, CancellationToken cancellation = default)
        where T : Resource => inner.ListAsync<T>(@namespace, cancellation);

    public Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace, V1LabelSelector labelSelector, CancellationToken cancellation = default)
        where T : Resource => inner.ListAsync<T>(@namespace, labelSelector, cancellation);

    public Task<bool> DeleteAsync<T>(ResourceId id, CancellationToken cancellation = default)
        where T : Resource => inner.DeleteAsync<T>(id, cancellation);

    public Task<IReadOnlyList<NamespaceInfo>> ListNamespacesAsync(CancellationToken cancellation = default) => inner.ListNamespacesAsync(cancellation);

    public IAsyncEnumerable<ResourceEvent> WatchAsync(CancellationToken cancellation) => inner.WatchAsync(cancellation);
}
