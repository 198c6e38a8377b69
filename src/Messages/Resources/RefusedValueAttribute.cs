namespace Archiver.Messages.Resources;

/// <summary>
/// A value the upstream API names for an enum that Archiver refuses, with the reason, so a manifest using it is told
/// why rather than only which values are allowed.
/// </summary>
[AttributeUsage(AttributeTargets.Enum, AllowMultiple = true)]
public sealed class RefusedValueAttribute(string name, string reason) : Attribute
{
    public string Name { get; } = name;

    public string Reason { get; } = reason;
}
