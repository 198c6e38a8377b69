using System.Text.Json.Nodes;
using Archiver.Emulators.Kubernetes;
using Xunit;

namespace Archiver.Emulators.Tests.Kubernetes;

/// <summary>
/// The API server stand-in's CEL for CRD validation rules: the rules external-snapshotter's CRDs carry hold and fail
/// as CEL says, transition rules compare with the old value, runtime errors are errors, and what the subset does not
/// evaluate does not compile (so a CRD carrying it is refused rather than left unchecked).
/// </summary>
public sealed class CelRuleTests
{
    private const string ExactlyOne = "(has(self.volumeSnapshotContentName) && !has(self.persistentVolumeClaimName)) || (!has(self.volumeSnapshotContentName) && has(self.persistentVolumeClaimName))";

    [Theory]
    [InlineData("size(self) > 0", "\"fast\"", null, true)]
    [InlineData("size(self) > 0", "\"\"", null, false)]
    [InlineData("self == oldSelf", "\"a\"", "\"a\"", true)]
    [InlineData("self == oldSelf", "\"a\"", "\"b\"", false)]
    [InlineData(ExactlyOne, """{"persistentVolumeClaimName":"data"}""", null, true)]
    [InlineData(ExactlyOne, """{"volumeSnapshotContentName":"c"}""", null, true)]
    [InlineData(ExactlyOne, """{"persistentVolumeClaimName":"data","volumeSnapshotContentName":"c"}""", null, false)]
    [InlineData(ExactlyOne, "{}", null, false)]
    [InlineData("!has(oldSelf.persistentVolumeClaimName) || has(self.persistentVolumeClaimName)", """{"volumeSnapshotContentName":"c"}""", "{}", true)]
    [InlineData("!has(oldSelf.persistentVolumeClaimName) || has(self.persistentVolumeClaimName)", """{"volumeSnapshotContentName":"c"}""", """{"persistentVolumeClaimName":"data"}""", false)]
    [InlineData("has(self.name) && has(self.__namespace__)", """{"name":"s","namespace":"demo"}""", null, true)]
    [InlineData("has(self.name) && has(self.__namespace__)", """{"name":"s"}""", null, false)]
    [InlineData("self.a + 1 == 3 && -self.a < 0 && 'x' + 'y' == 'xy' && self.l[1] == 'q' && 'q' in self.l", """{"a":2,"l":["p","q"]}""", null, true)]
    [InlineData("self.s.startsWith('ab') && self.s.matches('^a.c$') && self.s.size() == 3 ? true : false", """{"s":"abc"}""", null, true)]
    [InlineData("self.missing == 1 || true", "{}", null, true)]
    public void A_rule_holds_or_fails_as_CEL_evaluates_it(string rule, string self, string? oldSelf, bool holds) =>
        Assert.Equal(holds, CelRule.Compile(rule).Holds(JsonNode.Parse(self), oldSelf is null ? null : JsonNode.Parse(oldSelf)));

    [Fact]
    public void A_missing_field_or_a_wrong_type_is_an_error_and_oldSelf_makes_a_transition_rule()
    {
        var missing = Assert.Throws<CelException>(() => CelRule.Compile("self.missing == 1").Holds(new JsonObject(), null));
        var wrongType = Assert.Throws<CelException>(() => CelRule.Compile("self + 1 == 2").Holds(JsonValue.Create("a"), null));

        Assert.Equal("no such key: missing", missing.Message);
        Assert.StartsWith("no such overload", wrongType.Message, StringComparison.Ordinal);
        Assert.True(CelRule.Compile("self == oldSelf").UsesOldSelf);
        Assert.False(CelRule.Compile("size(self) > 0").UsesOldSelf);
    }

    [Theory]
    [InlineData("self.all(x, x > 0)")]
    [InlineData("self.exists(x, x == 1)")]
    [InlineData("type(self) == string")]
    [InlineData("self.a ==")]
    public void What_the_subset_cannot_evaluate_does_not_compile(string rule) =>
        Assert.Throws<FormatException>(() => CelRule.Compile(rule));
}
