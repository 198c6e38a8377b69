using System.Net;
using System.Text.RegularExpressions;

namespace Archiver.Host.Tests.Inspection;

/// <summary>The status page, as served and as headless Chromium renders it.</summary>
// Needs a server of its own (headless Chromium): run by .ci/run as the E2E step.
[Trait("Category", "E2E")]
[Collection(InspectionCollection.Name)]
public sealed partial class StatusPageTests(InspectionNode fixture) : IDisposable
{
    private readonly string _profiles = Directory.CreateTempSubdirectory("archiver-chromium-").FullName;

    [Fact]
    public async Task The_page_is_self_contained_html_that_escapes_what_resources_say()
    {
        using var http = new HttpClient { BaseAddress = fixture.Node.Address };
        foreach (var path in new[] { "/", "/status" })
        {
            var response = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
            var html = await response.Content.ReadAsStringAsync();
            Assert.Contains("<meta http-equiv=\"refresh\" content=\"5\">", html, StringComparison.Ordinal);
            Assert.Contains("lag 5m exceeds &lt;lagThreshold&gt; 30s &amp; rising", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<lagThreshold>", html, StringComparison.Ordinal);
            // Nothing is fetched from anywhere: no script, no stylesheet link, no image source.
            Assert.DoesNotMatch("<script|<link |src=|url\\(", html);
        }

        Assert.Contains("content=\"30\"", await http.GetStringAsync("/status?refresh=30"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chromium_renders_every_database_its_phase_and_the_window_time_line()
    {
        var dom = await ChromiumAsync("--dump-dom", $"{fixture.Url}/status");
        Assert.Equal(0, dom.ExitCode);
        var html = dom.Output;
        foreach (var name in new[] { "shop/orders", "shop/carts", InspectionNode.Legacy.ToString() })
        {
            Assert.Contains($"<tr class=\"database\" data-database=\"{name}\">", html, StringComparison.Ordinal);
        }

        var legacy = Row(html, "database", InspectionNode.Legacy.ToString());
        Assert.Contains("<span class=\"phase phase-Archiving\">Archiving</span>", legacy, StringComparison.Ordinal);
        Assert.Contains("<svg class=\"timeline\"", legacy, StringComparison.Ordinal);
        Assert.Equal(2, WindowBar().Count(legacy));
        Assert.Contains("2 windows, 3h 29m recoverable", legacy, StringComparison.Ordinal);
        Assert.Contains("<td>1.5s</td><td>20h</td>", legacy, StringComparison.Ordinal);
        Assert.Contains("lag 5m exceeds &lt;lagThreshold&gt; 30s &amp; rising", legacy, StringComparison.Ordinal);

        var orders = Row(html, "database", "shop/orders");
        Assert.Contains("<td>shop/nightly</td>", orders, StringComparison.Ordinal);
        Assert.Contains("phase-Archiving", orders, StringComparison.Ordinal);
        Assert.Contains("no recoverable window yet", orders, StringComparison.Ordinal);

        Assert.Contains("phase-Current\">Current</span>", Row(html, "archiver", "shop/nightly"), StringComparison.Ordinal);
        Assert.Contains("phase-Progressing\">Progressing</span>", Row(html, "opsrequest", $"shop/{InspectionNode.StuckOpsRequest}"), StringComparison.Ordinal);
        Assert.Contains("phase-Successful\">Successful</span>", Row(html, "opsrequest", $"shop/{fixture.ConfigureRequests["orders"]}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chromium_screenshot_shows_the_page_with_its_green_window_bars()
    {
        var file = Path.Combine(_profiles, "status.png");
        var run = await ChromiumAsync($"--screenshot={file}", "--window-size=1280,900", $"{fixture.Url}/status");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.True(File.Exists(file), $"no screenshot written: {run.Error}");

        var png = PngImage.Read(await File.ReadAllBytesAsync(file));
        Assert.Equal((1280, 900), (png.Width, png.Height));
        var colours = png.Pixels().Distinct().Count();
        Assert.True(colours > 20, $"the screenshot has {colours} colours: a blank or flat page");
        // The windows are drawn #2e7d32; a time line that did not render leaves no such pixel.
        var green = png.Pixels().Count(p => Near(p, (0x2e, 0x7d, 0x32)));
        Assert.True(green > 1000, $"{green} pixels of the window bars' green");
        // The page's own background (#fafafa) fills the margins.
        Assert.True(Near(png[5, 5], (0xfa, 0xfa, 0xfa)), $"top-left pixel is {png[5, 5]}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_profiles, recursive: true);
        }
        catch (IOException)
        {
            // Chromium's helpers may still be closing files; the OS cleans temp.
        }
    }

    private async Task<ProcessRun> ChromiumAsync(params string[] args)
    {
        var chromium = await ChromiumInstall.FindOrInstallAsync();
        // A fresh profile each run: no state, no first-run work, nothing shared with another browser.
        var profile = Directory.CreateDirectory(Path.Combine(_profiles, $"profile-{Guid.NewGuid():N}")).FullName;
        return await ProcessRun.RunAsync(
            chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", .. args],
            timeout: TimeSpan.FromSeconds(90));
    }

    private static bool Near((byte R, byte G, byte B) p, (int R, int G, int B) q) =>
        Math.Abs(p.R - q.R) <= 6 && Math.Abs(p.G - q.G) <= 6 && Math.Abs(p.B - q.B) <= 6;

    private static string Row(string html, string kind, string id)
    {
        var start = html.IndexOf($"<tr class=\"{kind}\" data-{kind}=\"{id}\">", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {kind} row for {id}");
        return html[start..html.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }

    [GeneratedRegex("<rect class=\"window\"")]
    private static partial Regex WindowBar();
}
