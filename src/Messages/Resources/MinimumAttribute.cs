namespace Archiver.Messages.Resources;

/// <summary>
/// The least value of an integer field, published as its <c>minimum</c> in the CRD schema; the validator's
/// <c>AtLeast</c> check of the same field refuses the same values.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MinimumAttribute(long minimum) : Attribute
{
    public long Minimum { get; } = minimum;
}
