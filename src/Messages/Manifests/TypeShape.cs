using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Archiver.Messages.Resources;

namespace Archiver.Messages.Manifests;

/// <summary>What the schema walker expects where a CLR type stands in a manifest, worked out once per type.</summary>
internal abstract record TypeShape
{
    private static readonly ConcurrentDictionary<Type, TypeShape> Cache = new();

    public static TypeShape Of(Type type) => Cache.GetOrAdd(type, Build);

    private static TypeShape Build(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return new ScalarShape(ScalarKind.String);
        if (type == typeof(bool)) return new ScalarShape(ScalarKind.Bool);
        if (type == typeof(int) || type == typeof(long)) return new ScalarShape(ScalarKind.Integer);
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return new ScalarShape(ScalarKind.Number);
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime)) return new ScalarShape(ScalarKind.Time);
        if (type.IsEnum) return new EnumShape(type);
        if (type == typeof(object) || type == typeof(JsonElement) || typeof(JsonNode).IsAssignableFrom(type)) return new FreeFormShape();
        if (DictionaryValueType(type) is { } valueType) return new MapShape(valueType);
        if (ListElementType(type) is { } elementType) return new ListShape(elementType);
        return ObjectShape.For(type);
    }

    private static Type? DictionaryValueType(Type type)
    {
        var args = Generic(type, typeof(IDictionary<,>)) ?? Generic(type, typeof(IReadOnlyDictionary<,>));
        return args is not null && args[0] == typeof(string) ? args[1] : null;
    }

    private static Type? ListElementType(Type type) =>
        type.IsArray ? type.GetElementType() : Generic(type, typeof(IEnumerable<>))?[0];

    private static Type[]? Generic(Type type, Type definition)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == definition) return type.GetGenericArguments();
        return type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition)?.GetGenericArguments();
    }
}

internal enum ScalarKind
{
    String,
    Bool,
    Integer,
    Number,
    Time,
}

internal sealed record ScalarShape(ScalarKind Kind) : TypeShape;

internal sealed record EnumShape(Type EnumType) : TypeShape
{
    public IReadOnlyList<string> Names => EnumNames.Canonical(EnumType);
}

internal sealed record FreeFormShape : TypeShape;

internal sealed record MapShape(Type ValueType) : TypeShape;

internal sealed record ListShape(Type ElementType) : TypeShape;

/// <summary>A mapping with known fields: names from <c>JsonPropertyName</c>, aliases, required fields, and
/// whether unknown fields are kept (<c>JsonExtensionData</c>) or refused.</summary>
internal sealed record ObjectShape(
    string TypeName,
    FrozenDictionary<string, PropertyInfo> Properties,
    FrozenDictionary<string, string> Aliases,
    IReadOnlyList<string> Required,
    bool KeepsUnknownFields) : TypeShape
{
    public static ObjectShape For(Type type)
    {
        var properties = new Dictionary<string, PropertyInfo>(StringComparer.Ordinal);
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        var required = new List<string>();
        var keepsUnknown = false;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.Always }) continue;
            if (property.GetCustomAttribute<JsonExtensionDataAttribute>() is not null)
            {
                keepsUnknown = true;
                continue;
            }

            if (property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name is not { } name) continue;
            properties[name] = property;
            foreach (var alias in property.GetCustomAttributes<AliasAttribute>()) aliases[alias.Name] = name;
            if (property.GetCustomAttribute<RequiredFieldAttribute>() is not null) required.Add(name);
        }

        return new ObjectShape(type.Name, properties.ToFrozenDictionary(StringComparer.Ordinal),
            aliases.ToFrozenDictionary(StringComparer.Ordinal), required, keepsUnknown);
    }
}
