using System.Globalization;
using System.Net;
using System.Text;

namespace Archiver.Host.StatusPage;

/// <summary>
/// The status page as one self-contained HTML document: inline style and SVG, no script, no external asset, so
/// it renders the same from a laptop with no network as from a browser behind a proxy. Every value that comes
/// from a resource is HTML-encoded: names, messages and phases are user or cluster input.
/// </summary>
public static class StatusPageRenderer
{
    private const string Style = """
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #1d1d1f; background: #fafafa; }
        h1 { font-size: 22px; margin: 0 0 4px 0; }
        h2 { font-size: 17px; margin: 28px 0 8px 0; }
        .meta { color: #666; font-size: 13px; margin: 0; }
        table { border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #eee; font-size: 13px; vertical-align: top; }
        th { background: #f0f0f3; font-weight: 600; }
        .phase { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #eceff1; }
        .phase-Archiving, .phase-Current, .phase-Successful, .phase-Restored { background: #e8f5e9; color: #1b5e20; }
        .phase-Progressing, .phase-Configuring, .phase-Pending, .phase-Restoring, .phase-New { background: #fff8e1; color: #8d6e00; }
        .phase-Failed, .phase-Blocked, .phase-RestoreFailed { background: #ffebee; color: #b71c1c; }
        .problem { color: #b71c1c; font-size: 12px; margin-top: 3px; }
        .none { color: #888; }
        .caption { color: #666; font-size: 11px; }
        svg.timeline text { font-size: 10px; fill: #555; font-family: system-ui, sans-serif; }
        """;

    public static string Render(StatusSnapshot snapshot, string nodeAddress, int refreshSeconds)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="refresh" content="{refreshSeconds}">
            <title>Archiver status</title>
            <style>{Style}</style>
            </head>
            <body>
            <h1>Archiver</h1>
            <p class="meta">node {H(nodeAddress)} · {H(WindowTimeline.Time(snapshot.Now))} · refreshes every {refreshSeconds} s</p>
            """);
        Databases(html, snapshot);
        Archivers(html, snapshot);
        OpsRequests(html, snapshot);
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void Databases(StringBuilder html, StatusSnapshot snapshot)
    {
        html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"databases\">Databases ({snapshot.Databases.Count})</h2>\n");
        if (snapshot.Databases.Count == 0)
        {
            html.Append("<p class=\"none\">No MongoDB resources.</p>\n");
            return;
        }

        var (from, to) = WindowTimeline.Axis(snapshot.Databases.SelectMany(d => d.Windows), snapshot.Now);
        html.Append("<table>\n<tr><th>Database</th><th>Archiver</th><th>Phase</th><th>Last full backup</th><th>Lag</th><th>Oplog headroom</th><th>Recoverable windows (UTC)</th></tr>\n");
        foreach (var db in snapshot.Databases)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr class=\"database\" data-database=\"{H(db.Id.ToString())}\">");
            html.Append(CultureInfo.InvariantCulture, $"<td>{H(db.Id.ToString())}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td>{(db.Archiver is null ? "<span class=\"none\">none</span>" : H(db.Archiver))}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td>{Phase(db.Phase)}{Restore(db)}{Problem(db.Health)}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td>{(db.LastFullBackup is { } last ? $"{H(WindowTimeline.Time(last))}<br><span class=\"none\">{H(WindowTimeline.Duration(snapshot.Now - last))} ago</span>" : "<span class=\"none\">never</span>")}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td>{Or(db.Lag)}</td><td>{Or(db.OplogHeadroom)}</td>");
            html.Append("<td>");
            if (db.Windows.Count == 0)
            {
                html.Append("<span class=\"none\">no recoverable window yet</span>");
            }
            else
            {
                html.Append(WindowTimeline.Render(db.Windows, from, to, snapshot.Now, $"recoverable windows of {db.Id}"));
                // The same facts as text, for a reader who cannot see the picture or hover its bars.
                var covered = db.Windows.Aggregate(TimeSpan.Zero, (sum, w) => sum + (w.End!.Value - w.Start!.Value));
                var newest = db.Windows.Max(w => w.End!.Value);
                html.Append(CultureInfo.InvariantCulture, $"<div class=\"caption\">{db.Windows.Count} window{(db.Windows.Count == 1 ? "" : "s")}, {H(WindowTimeline.Duration(covered))} recoverable; newest ends {H(WindowTimeline.Time(newest))}</div>");
            }

            html.Append("</td></tr>\n");
        }

        html.Append("</table>\n");
    }

    private static void Archivers(StringBuilder html, StatusSnapshot snapshot)
    {
        html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"archivers\">Archivers ({snapshot.Archivers.Count})</h2>\n");
        if (snapshot.Archivers.Count == 0)
        {
            html.Append("<p class=\"none\">No MongoDBArchiver resources.</p>\n");
            return;
        }

        html.Append("<table>\n<tr><th>Archiver</th><th>Phase</th><th>Databases</th></tr>\n");
        foreach (var a in snapshot.Archivers)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr class=\"archiver\" data-archiver=\"{H(a.Id.ToString())}\"><td>{H(a.Id.ToString())}</td><td>{Phase(a.Phase)}{Problem(a.Problem)}</td><td>{a.Databases}</td></tr>\n");
        }

        html.Append("</table>\n");
    }

    private static void OpsRequests(StringBuilder html, StatusSnapshot snapshot)
    {
        html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"opsrequests\">Ops requests ({snapshot.OpsRequests.Count})</h2>\n");
        if (snapshot.OpsRequests.Count == 0)
        {
            html.Append("<p class=\"none\">No MongoDBOpsRequest resources.</p>\n");
            return;
        }

        html.Append("<table>\n<tr><th>Ops request</th><th>Database</th><th>Operation</th><th>Phase</th><th>Age</th><th>Last message</th></tr>\n");
        foreach (var r in snapshot.OpsRequests)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr class=\"opsrequest\" data-opsrequest=\"{H(r.Id.ToString())}\"><td>{H(r.Id.ToString())}</td><td>{H(r.Database)}</td><td>{Or(r.Operation)}</td><td>{Phase(r.Phase)}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td>{(r.Age is { } age ? H(WindowTimeline.Duration(age)) : "-")}</td><td>{Or(r.Message)}</td></tr>\n");
        }

        html.Append("</table>\n");
    }

    private static string Phase(string phase) =>
        $"<span class=\"phase phase-{H(phase.Replace(' ', '-'))}\">{H(phase)}</span>";

    private static string Restore(DatabaseRow db)
    {
        if (db.Restore is not { } r) return "";
        var progress = r.EntriesTotal is > 0 && r.EntriesDone is { } done
            ? $"{Math.Min(100, done * 100 / r.EntriesTotal.Value)}% ({done}/{r.EntriesTotal} entries)"
            : r.BytesTotal is > 0 && r.BytesDone is { } bytes ? $"{Math.Min(100, bytes * 100 / r.BytesTotal.Value)}% of the bytes" : "starting";
        var target = r.Target is { } t ? $" to {WindowTimeline.Time(t)}" : "";
        return $"<div class=\"restore\">restore{H(target)}: {H(progress)}</div>";
    }

    private static string Problem(string? message) => message is null ? "" : $"<div class=\"problem\">{H(message)}</div>";

    private static string Or(string? value) => string.IsNullOrEmpty(value) ? "<span class=\"none\">-</span>" : H(value);

    private static string H(string text) => WebUtility.HtmlEncode(text);
}
