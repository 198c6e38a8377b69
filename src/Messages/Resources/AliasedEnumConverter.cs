using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>
/// Writes an enum by its canonical (member) name and reads the canonical name or any <see cref="AliasAttribute"/>
/// alias, so KubeDB's names (<c>VolumeSnapshotter</c>, <c>Retain</c>) map onto the seed's.
/// </summary>
public sealed class AliasedEnumConverter<TEnum> : JsonConverter<TEnum>
    where TEnum : struct, Enum
{
    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return text is not null && EnumNames.TryParse(typeof(TEnum), text, out var value)
            ? (TEnum)value
            : throw new JsonException($"\"{text}\" is not one of {string.Join(", ", EnumNames.Canonical(typeof(TEnum)))}");
    }

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options) =>
        writer.WriteStringValue(EnumNames.NameOf(value));
}

/// <summary>The canonical names and aliases of the resource enums, looked up once per type.</summary>
public static class EnumNames
{
    private static readonly ConcurrentDictionary<Type, Table> Tables = new();

    /// <summary>The names written for the values, in declaration order.</summary>
    public static IReadOnlyList<string> Canonical(Type enumType) => Tables.GetOrAdd(enumType, Build).Names;

    public static bool TryParse(Type enumType, string text, out object value) =>
        Tables.GetOrAdd(enumType, Build).ByName.TryGetValue(text, out value!);

    /// <summary>The canonical name: the <see cref="JsonStringEnumMemberNameAttribute"/> where the API spells it
    /// otherwise than C# would (KubeDB's lower-case <c>fscopy</c>), else the member name.</summary>
    public static string NameOf<TEnum>(TEnum value)
        where TEnum : struct, Enum => NameOf(typeof(TEnum), value);

    public static string NameOf(Type enumType, object value) => Tables.GetOrAdd(enumType, Build).ByValue[value];

    private static Table Build(Type enumType)
    {
        var byName = new Dictionary<string, object>(StringComparer.Ordinal);
        var byValue = new Dictionary<object, string>();
        var names = new List<string>();
        foreach (var field in enumType.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var value = field.GetValue(null)!;
            var name = field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? field.Name;
            names.Add(name);
            byValue[value] = name;
            byName[name] = value;
            foreach (var alias in field.GetCustomAttributes<AliasAttribute>())
            {
                byName[alias.Name] = value;
            }
        }

        return new Table(names, byName.ToFrozenDictionary(StringComparer.Ordinal), byValue.ToFrozenDictionary());
    }

    private sealed record Table(IReadOnlyList<string> Names, FrozenDictionary<string, object> ByName, FrozenDictionary<object, string> ByValue);
}
