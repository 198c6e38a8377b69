using System.Globalization;
using System.Text.RegularExpressions;

namespace Archiver.Messages.Validation;

/// <summary>A byte count as a Kubernetes quantity: <c>16Mi</c>, <c>512Ki</c>, <c>1G</c>, <c>1048576</c>.</summary>
public static partial class ByteQuantity
{
    /// <summary>Bytes as a person reads them: binary units, one decimal (<c>3.5 MiB</c>, <c>624 B</c>), the same in any culture.</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };

    public static bool TryParse(string text, out long bytes, out string reason)
    {
        bytes = 0;
        var match = Pattern().Match(text);
        if (!match.Success)
        {
            reason = $"must be a byte quantity such as 16Mi, 512Ki or 1G, not \"{text}\"";
            return false;
        }

        var number = decimal.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        var total = number * Multiplier(match.Groups["s"].Value);
        if (total != decimal.Truncate(total) || total > long.MaxValue)
        {
            reason = $"must be a whole number of bytes that fits in 64 bits, not \"{text}\"";
            return false;
        }

        bytes = (long)total;
        reason = "";
        return true;
    }

    private static decimal Multiplier(string suffix) => suffix switch
    {
        "" => 1m,
        "k" => 1e3m,
        "M" => 1e6m,
        "G" => 1e9m,
        "T" => 1e12m,
        "P" => 1e15m,
        "E" => 1e18m,
        "Ki" => 1024m,
        "Mi" => 1024m * 1024,
        "Gi" => 1024m * 1024 * 1024,
        "Ti" => 1024m * 1024 * 1024 * 1024,
        "Pi" => 1024m * 1024 * 1024 * 1024 * 1024,
        "Ei" => 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
        _ => throw new FormatException(suffix),
    };

    /// <summary>What <see cref="TryParse"/> accepts, as a CRD schema pattern (it also refuses fractions of a byte).</summary>
    public const string SchemaPattern = @"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$";

    [GeneratedRegex(@"^(?<n>[0-9]+(\.[0-9]+)?)(?<s>Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")]
    private static partial Regex Pattern();
}
