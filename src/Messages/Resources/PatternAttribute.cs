namespace Archiver.Messages.Resources;

/// <summary>
/// A regular expression every value of a string field matches, published as the field's <c>pattern</c> in the CRD
/// schema so the API server refuses what Archiver's own validation would refuse anyway. Only ever a pattern the
/// validator's check implies (never stricter), written in the syntax both .NET and Go's RE2 read.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PatternAttribute(string pattern) : Attribute
{
    public string Pattern { get; } = pattern;
}
