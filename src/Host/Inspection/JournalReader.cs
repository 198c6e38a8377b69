using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Archiver.Actors.Serialization;
using Archiver.Host.Api;

namespace Archiver.Host.Inspection;

/// <summary>
/// <c>/inspect/journal</c>: the persisted events of any persistence id, read back through Akka.Persistence.Query
/// (the Akka.Persistence.Sql read journal, the same tables the entities write), and the ids the journal holds.
/// Reads only what is already written (<c>Current…</c> queries): an inspection never waits for new events.
/// </summary>
public sealed class JournalReader(ActorSystem system)
{
    private static readonly JsonSerializerOptions EventJson = CreateEventJson();

    private SqlReadJournal Journal => PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);

    /// <summary>The newest <paramref name="limit"/> events of <paramref name="persistenceId"/>, oldest first.</summary>
    public async Task<JournalResponse> ReadAsync(string persistenceId, int limit, CancellationToken cancellation)
    {
        // The journal query has no "last N": it streams from the first event, and only the tail is kept.
        var tail = new Queue<EventEnvelope>();
        long highest = 0;
        var total = 0;
        await Journal.CurrentEventsByPersistenceId(persistenceId, 0, long.MaxValue)
            .RunForeach(
                envelope =>
                {
                    total++;
                    highest = Math.Max(highest, envelope.SequenceNr);
                    tail.Enqueue(envelope);
                    if (tail.Count > limit) tail.Dequeue();
                },
                system.Materializer())
            .WaitAsync(cancellation);
        return new JournalResponse(persistenceId, highest, [.. tail.Select(Render)], total > tail.Count);
    }

    public async Task<PersistenceIdsResponse> PersistenceIdsAsync(CancellationToken cancellation)
    {
        var ids = await Journal.CurrentPersistenceIds().RunWith(Sink.Seq<string>(), system.Materializer()).WaitAsync(cancellation);
        return new PersistenceIdsResponse([.. ids.Order(StringComparer.Ordinal)]);
    }

    public static JournalEvent Render(EventEnvelope envelope)
    {
        var e = envelope.Event;
        var type = e.GetType();
        var manifest = ProtocolContracts.ManifestOf.TryGetValue(type, out var m) ? m : null;
        return new JournalEvent(envelope.SequenceNr, type.Name, manifest, TimestampOf(envelope.Timestamp), ToJson(e));
    }

    /// <summary>Any object as JSON: Archiver's records render field by field; Akka's own events (sharding's
    /// coordinator and remember-entities stores) fall back to their text when they cannot be.</summary>
    public static JsonElement ToJson(object value)
    {
        try
        {
            return JsonSerializer.SerializeToElement(value, value.GetType(), EventJson);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or JsonException or ArgumentException)
        {
            return JsonSerializer.SerializeToElement(new Dictionary<string, string?> { ["text"] = value.ToString() });
        }
    }

    /// <summary>Akka.Persistence.Sql writes <see cref="DateTime.Ticks"/> (UTC); other journals write Unix milliseconds.</summary>
    private static DateTimeOffset? TimestampOf(long timestamp) => timestamp switch
    {
        <= 0 => null,
        > 100_000_000_000_000_000 when timestamp <= DateTime.MaxValue.Ticks => new DateTimeOffset(timestamp, TimeSpan.Zero),
        < 100_000_000_000_000 => DateTimeOffset.FromUnixTimeMilliseconds(timestamp),
        _ => null,
    };

    private static JsonSerializerOptions CreateEventJson()
    {
        var options = ApiJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        // Akka's events hold actor references and addresses, whose object graphs loop (a path's root is itself):
        // they are written as the text Akka prints for them.
        options.Converters.Add(new AsTextConverterFactory());
        options.ReferenceHandler = ReferenceHandler.IgnoreCycles;
        options.MaxDepth = 32;
        return options;
    }

    private sealed class AsTextConverterFactory : JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert) =>
            typeof(IActorRef).IsAssignableFrom(typeToConvert) || typeof(ActorPath).IsAssignableFrom(typeToConvert) || typeToConvert == typeof(Address);

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(AsTextConverter<>).MakeGenericType(typeToConvert))!;
    }

    private sealed class AsTextConverter<T> : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("inspection only writes");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value?.ToString());
    }
}
