using System.Text.Json;
using k8s.Models;

namespace Archiver.Messages.Validation;

public static partial class ResourceValidator
{
    /// <summary>
    /// The container part of KubeStash's RuntimeSettings (kmodules/offshoot-api <c>api/v1/runtime_settings_types.go</c>)
    /// as the sidecar applies it: objects and lists where it has them, and quantities that parse, so a mistake is said
    /// here rather than by the step that injects the sidecar.
    /// </summary>
    private static void RuntimeSettings(FieldChecks checks, string path, JsonElement? settings)
    {
        if (settings is not { } root) return;
        if (root.ValueKind != JsonValueKind.Object)
        {
            checks.Add(path, "must be an object (container, pod)");
            return;
        }

        if (!root.TryGetProperty("container", out var container)) return;
        var at = $"{path}.container";
        if (container.ValueKind != JsonValueKind.Object)
        {
            checks.Add(at, "must be an object");
            return;
        }

        foreach (var (field, kind) in new[] { ("resources", JsonValueKind.Object), ("securityContext", JsonValueKind.Object), ("env", JsonValueKind.Array), ("envFrom", JsonValueKind.Array) })
        {
            if (container.TryGetProperty(field, out var value) && value.ValueKind != kind && value.ValueKind != JsonValueKind.Null)
            {
                checks.Add($"{at}.{field}", kind == JsonValueKind.Object ? "must be an object" : "must be a list");
            }
        }

        if (!container.TryGetProperty("resources", out var resources) || resources.ValueKind != JsonValueKind.Object) return;
        foreach (var part in new[] { "requests", "limits" })
        {
            if (!resources.TryGetProperty(part, out var quantities) || quantities.ValueKind != JsonValueKind.Object) continue;
            foreach (var quantity in quantities.EnumerateObject())
            {
                if (Quantity(quantity.Value) is { } reason) checks.Add($"{at}.resources.{part}.{quantity.Name}", reason);
            }
        }
    }

    private static string? Quantity(JsonElement value)
    {
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        if (text is null) return "must be a quantity such as 100m or 128Mi";
        try
        {
            _ = new ResourceQuantity(text).ToDecimal();
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            return $"must be a quantity such as 100m or 128Mi, not \"{text}\"";
        }
    }
}
