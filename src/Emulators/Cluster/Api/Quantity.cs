using System.Globalization;
using System.Text.RegularExpressions;

namespace Archiver.Emulators.Cluster.Api;

/// <summary>
/// Kubernetes resource quantities of bytes (apimachinery <c>pkg/api/resource/quantity.go</c>): parsed from
/// <c>1Gi</c>, <c>500M</c>, <c>1073741824</c>, and written as <c>resource.NewQuantity(n, BinarySI).String()</c>
/// writes them (the largest power of 1024 that divides the value exactly, else the plain number).
/// </summary>
internal static partial class Quantity
{
    private static readonly string[] BinarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

    public static bool TryParseBytes(string text, out long bytes)
    {
        bytes = 0;
        var match = Pattern().Match(text.Trim());
        if (!match.Success) return false;
        var number = decimal.Parse(match.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        var total = decimal.Ceiling(number * Multiplier(match.Groups["s"].Value));
        if (total > long.MaxValue) return false;
        bytes = (long)total;
        return true;
    }

    public static string BinarySI(long bytes)
    {
        var exponent = 0;
        var value = bytes;
        while (value != 0 && value % 1024 == 0 && exponent < BinarySuffixes.Length - 1)
        {
            value /= 1024;
            exponent++;
        }

        return value.ToString(CultureInfo.InvariantCulture) + BinarySuffixes[exponent];
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
        _ => 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
    };

    [GeneratedRegex(@"^(?<n>[0-9]+(\.[0-9]*)?|\.[0-9]+)(?<s>Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")]
    private static partial Regex Pattern();
}
