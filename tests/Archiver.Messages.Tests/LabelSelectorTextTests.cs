using Archiver.Messages.Validation;

namespace Archiver.Messages.Tests;

/// <summary>kubectl's <c>-l</c> syntax read into a label selector, checked against labels, and what it refuses.</summary>
public sealed class LabelSelectorTextTests
{
    private static readonly Dictionary<string, string> Gold = new() { ["archiver"] = "true", ["tier"] = "gold" };

    [Theory]
    [InlineData("archiver=true", true)]
    [InlineData("archiver==true", true)]
    [InlineData("archiver=false", false)]
    [InlineData("tier!=silver", true)]
    [InlineData("tier!=gold", false)]
    [InlineData("tier", true)]
    [InlineData("!tier", false)]
    [InlineData("!zone", true)]
    [InlineData("tier in (silver, gold)", true)]
    [InlineData("tier notin (silver,gold)", false)]
    [InlineData("archiver=true,tier in (gold),!zone", true)]
    [InlineData("archiver=true, zone", false)]
    public void A_selector_matches_as_kubectls_does(string text, bool matches)
    {
        var (selector, error) = LabelSelectorText.Parse(text);

        Assert.Null(error);
        Assert.Equal(matches, LabelSelectors.Matches(selector, Gold));
    }

    [Theory]
    [InlineData("tier in (gold", "")]
    [InlineData("archiver=true,,tier", "empty requirement")]
    [InlineData("tier in ()", "one or more values")]
    [InlineData("a=b,a=c", "both b and c")]
    [InlineData("bad key!=x", "")]
    public void A_malformed_selector_is_refused_saying_why(string text, string reason)
    {
        var (selector, error) = LabelSelectorText.Parse(text);

        Assert.Null(selector);
        Assert.NotNull(error);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
