using System.Text.Json;
using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>
/// A Kubernetes quantity field (<c>x-kubernetes-int-or-string</c> in its CRD schema): read from a JSON string or a
/// JSON integer, held and written as its text. kubectl sends an unquoted YAML <c>4096</c> as a number, which the API
/// server stores as such, so a string-typed property must read it back, as <c>archiver validate</c> reads the same YAML.
/// </summary>
public sealed class IntOrStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.Null => null,
        _ => throw new JsonException($"must be an integer or a string, not {reader.TokenType}"),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
