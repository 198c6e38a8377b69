using System.Globalization;
using System.Net;
using System.Text;
using Archiver.Messages.Resources;

namespace Archiver.Host.StatusPage;

/// <summary>
/// A database's recoverable windows as an inline SVG time line: one lane per component, a bar per window, the
/// gaps between them left empty, and a marker at now. Every database's line shares one time axis so that their
/// histories can be compared by eye down the page.
/// </summary>
public static class WindowTimeline
{
    public const int Width = 560;
    private const int LabelWidth = 70;
    private const int RightMargin = 10;
    private const int LaneHeight = 16;
    private const int LaneGap = 4;
    private const int AxisHeight = 18;
    private const int Ticks = 5;

    /// <summary>The axis every line on the page shares: from the oldest window's start to now (at least an hour).</summary>
    public static (DateTimeOffset From, DateTimeOffset To) Axis(IEnumerable<RecoverableWindow> windows, DateTimeOffset now)
    {
        var list = windows.ToList();
        var to = list.Select(w => w.End!.Value).Append(now).Max();
        var from = list.Select(w => w.Start!.Value).Append(to - TimeSpan.FromHours(1)).Min();
        return (from, to);
    }

    public static string Render(IReadOnlyList<RecoverableWindow> windows, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, string label)
    {
        var lanes = windows.GroupBy(w => string.IsNullOrEmpty(w.Component) ? "oplog" : w.Component!).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var height = (lanes.Count * (LaneHeight + LaneGap)) + AxisHeight;
        var span = Math.Max(1, (to - from).TotalSeconds);
        var barWidth = Width - LabelWidth - RightMargin;
        double X(DateTimeOffset t) => LabelWidth + (Math.Clamp((t - from).TotalSeconds, 0, span) / span * barWidth);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" role=\"img\" aria-label=\"{H(label)}\">");
        for (var i = 0; i < lanes.Count; i++)
        {
            var y = i * (LaneHeight + LaneGap);
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"lane\" x=\"0\" y=\"{y + 12}\">{H(lanes[i].Key)}</text>");
            // The lane's background is the history that cannot be restored: gaps show through it.
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"gap\" x=\"{LabelWidth}\" y=\"{y}\" width=\"{barWidth}\" height=\"{LaneHeight}\" fill=\"#e6e6e6\"/>");
            foreach (var w in lanes[i].OrderBy(w => w.Start))
            {
                var x1 = X(w.Start!.Value);
                var x2 = Math.Max(X(w.End!.Value), x1 + 2);
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect class=\"window\" x=\"{N(x1)}\" y=\"{y}\" width=\"{N(x2 - x1)}\" height=\"{LaneHeight}\" fill=\"#2e7d32\"><title>{H($"{lanes[i].Key}: {Time(w.Start.Value)} to {Time(w.End.Value)} ({Duration(w.End.Value - w.Start.Value)})")}</title></rect>");
            }
        }

        var axisY = lanes.Count * (LaneHeight + LaneGap);
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{LabelWidth}\" y1=\"{axisY}\" x2=\"{LabelWidth + barWidth}\" y2=\"{axisY}\" stroke=\"#888\"/>");
        var format = to - from > TimeSpan.FromDays(2) ? "MM-dd HH:mm" : "HH:mm:ss";
        for (var i = 0; i < Ticks; i++)
        {
            var t = from + ((to - from) * i / (Ticks - 1));
            var anchor = i == 0 ? "start" : i == Ticks - 1 ? "end" : "middle";
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{N(X(t))}\" y=\"{axisY + 13}\" text-anchor=\"{anchor}\">{H(t.UtcDateTime.ToString(format, CultureInfo.InvariantCulture))}</text>");
        }

        var nowX = N(X(now));
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"now\" x1=\"{nowX}\" y1=\"0\" x2=\"{nowX}\" y2=\"{axisY}\" stroke=\"#c62828\" stroke-width=\"1.5\"><title>now</title></line>");
        svg.Append("</svg>");
        return svg.ToString();
    }

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan d) =>
        d.TotalDays >= 2 ? $"{(int)d.TotalDays}d {d.Hours}h" : d.TotalHours >= 1 ? $"{(int)d.TotalHours}h {d.Minutes}m" : d.TotalMinutes >= 1 ? $"{(int)d.TotalMinutes}m {d.Seconds}s" : $"{Math.Max(0, (int)d.TotalSeconds)}s";

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string H(string text) => WebUtility.HtmlEncode(text);
}
