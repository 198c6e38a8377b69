using System.Text.RegularExpressions;
using Archiver.Messages.Validation;

namespace Archiver.Messages.Tests;

/// <summary>
/// The CRD schema patterns are never stricter than the parsers they stand for: whatever a parser accepts, its pattern
/// matches (the API server must not refuse what Archiver reads), over random text made of the characters each syntax uses.
/// </summary>
public sealed class SchemaPatternTests
{
    public static TheoryData<string, string, string> Syntaxes => new()
    {
        { "Go duration", GoDuration.SchemaPattern, "0123.+-hmsunµ" },
        { "byte quantity", ByteQuantity.SchemaPattern, "01239.KMGTPEik" },
        { "retention period", RetentionPeriod.SchemaPattern, "0129hdwmys" },
        { "retention period without hours", RetentionPeriod.SchemaPatternWithoutHours, "0129hdwmys" },
        { "name", KubernetesNames.OptionalSubdomainPattern, "az09-.A_" },
        { "namespace", KubernetesNames.OptionalLabelPattern, "az09-.A_" },
        { "bucket", ResourceValidator.BucketNamePattern, "az09-.A_" },
    };

    [Theory]
    [MemberData(nameof(Syntaxes))]
    public void What_the_parser_accepts_the_pattern_matches(string syntax, string pattern, string alphabet)
    {
        var random = new Random(syntax.Length * 7919);
        var regex = new Regex(pattern);
        var accepted = 0;
        for (var i = 0; i < 50_000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 8)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            if (!Accepts(syntax, text)) continue;
            accepted++;
            Assert.True(regex.IsMatch(text), $"{syntax}: \"{text}\" is accepted, but the schema pattern {pattern} refuses it");
        }

        Assert.True(accepted > 100, $"{syntax}: only {accepted} accepted texts were tried");
    }

    private static bool Accepts(string syntax, string text) => syntax switch
    {
        "Go duration" => GoDuration.TryParse(text, out _, out _),
        "byte quantity" => ByteQuantity.TryParse(text, out _, out _),
        "retention period" => RetentionPeriod.TryParse(text, allowHours: true, out _, out _),
        "retention period without hours" => RetentionPeriod.TryParse(text, allowHours: false, out _, out _),
        "name" => text.Length == 0 || KubernetesNames.CheckSubdomain(text) is null,
        "namespace" => text.Length == 0 || KubernetesNames.CheckLabel(text) is null,
        // What ResourceValidator.Storage accepts for s3.bucket: empty (left to the required rule) or its bucket names.
        "bucket" => ManifestBucketAccepted(text),
        _ => throw new ArgumentException(syntax),
    };

    private static bool ManifestBucketAccepted(string bucket)
    {
        var manifest = $"apiVersion: storage.kubestash.com/v1alpha1\nkind: BackupStorage\nmetadata: {{name: s, namespace: stash}}\nspec: {{storage: {{provider: s3, s3: {{endpoint: \"https://s3.example.com\", bucket: \"{bucket}\"}}}}}}";
        return Manifests.ManifestReader.Read(manifest).IsValid;
    }
}
