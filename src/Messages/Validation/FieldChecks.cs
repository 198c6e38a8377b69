using Archiver.Messages.Configuration;
using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;
using k8s.Models;

namespace Archiver.Messages.Validation;

/// <summary>Collects the errors of one object, with the checks its kinds share. Absent values are not checked
/// here: whether a field is required is the schema's business, so nothing is reported twice.</summary>
internal sealed class FieldChecks(IReadOnlySet<string> invalid)
{
    private readonly List<FieldError> _errors = [];

    /// <summary>Whether the schema refused this field, so its value here is a default, not what was written.</summary>
    public bool IsInvalid(string path) => invalid.Contains(path);

    public IReadOnlyList<FieldError> Errors => _errors;

    public void Add(string path, string reason) => _errors.Add(new FieldError(path, reason));

    public void Duration(string path, string? value, bool positive = false)
    {
        if (value is null) return;
        if (!GoDuration.TryParse(value, out var span, out var reason)) Add(path, reason);
        else if (positive && span <= TimeSpan.Zero) Add(path, $"must be longer than zero, not \"{value}\"");
    }

    public void Cron(string path, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        if (!CronSchedule.TryParse(value, out _, out var reason)) Add(path, reason);
    }

    public void Retention(string path, string? value, bool allowHours)
    {
        if (value is null) return;
        if (!RetentionPeriod.TryParse(value, allowHours, out _, out var reason)) Add(path, reason);
    }

    public void AtLeast(string path, long? value, long minimum)
    {
        if (value is { } v && v < minimum) Add(path, $"must be at least {minimum}, not {v}");
    }

    public void Name(string path, string? name)
    {
        if (string.IsNullOrEmpty(name)) return;
        if (KubernetesNames.CheckSubdomain(name) is { } reason) Add(path, reason);
    }

    public void Namespace(string path, string? name)
    {
        if (string.IsNullOrEmpty(name)) return;
        if (KubernetesNames.CheckLabel(name) is { } reason) Add(path, reason);
    }

    public void Ref(string path, ObjectRef? reference)
    {
        if (reference is null) return;
        Name($"{path}.name", reference.Name);
        Namespace($"{path}.namespace", reference.Namespace);
    }

    public void TypedRef(string path, TypedObjectRef? reference, string? expectedGroup = null, string? expectedKind = null)
    {
        if (reference is null) return;
        Name($"{path}.name", reference.Name);
        Namespace($"{path}.namespace", reference.Namespace);
        if (expectedGroup is not null && !string.IsNullOrEmpty(reference.ApiGroup) && reference.ApiGroup != expectedGroup)
        {
            Add($"{path}.apiGroup", $"must be {expectedGroup}, not \"{reference.ApiGroup}\"");
        }

        if (expectedKind is not null && !string.IsNullOrEmpty(reference.Kind) && reference.Kind != expectedKind)
        {
            Add($"{path}.kind", $"must be {expectedKind}, not \"{reference.Kind}\"");
        }
    }

    public void Selector(string path, V1LabelSelector? selector)
    {
        if (selector is null) return;
        foreach (var (at, reason) in LabelSelectors.Check(selector, path)) Add(at, reason);
    }

    public void Namespaces(string path, NamespaceSelection? selection)
    {
        if (selection is null || IsInvalid($"{path}.from")) return;
        var from = selection.From ?? NamespaceFrom.Same;
        if (from == NamespaceFrom.Selector && LabelSelectors.IsEmpty(selection.Selector))
        {
            Add($"{path}.selector", "required when from is Selector (an empty selector would select every namespace: use from: All)");
        }
        else if (from != NamespaceFrom.Selector && !LabelSelectors.IsEmpty(selection.Selector))
        {
            Add($"{path}.selector", $"is used only when from is Selector, and from is {from}");
        }

        Selector($"{path}.selector", selection.Selector);
    }

    public void RelativePath(string path, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        foreach (var reason in PrefixTemplate.CheckPath(value)) Add(path, reason);
    }

    public void Unique<T>(string path, IReadOnlyList<T>? items, Func<T, string> key, string what)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            var name = key(items![i]);
            if (name.Length > 0 && !seen.Add(name)) Add($"{path}[{i}].name", $"duplicate {what} \"{name}\"");
        }
    }
}
