namespace Archiver.Messages.Resources;

/// <summary>Marks a field that a manifest must set; the validator reports it by its path when missing.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiredFieldAttribute : Attribute;
