using Spectre.Console;
using Spectre.Console.Rendering;

namespace Archiver.Host.Cli;

/// <summary>Spectre.Console bound to the command's writer: colour only on a terminal, plain text into a pipe or a test.</summary>
internal static class Tables
{
    public static IAnsiConsole Console(TextWriter output) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(output),
        Ansi = IsTerminal(output) ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = IsTerminal(output) ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = IsTerminal(output) ? InteractionSupport.Yes : InteractionSupport.No,
    });

    /// <summary>True for the process's own standard output on a terminal; false for a pipe, a file or a test's writer.</summary>
    public static bool IsTerminal(TextWriter output) => ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;

    /// <summary>A borderless table as kubectl prints one: upper-case headers, columns padded, nothing else.</summary>
    public static Table Plain(params string[] headers)
    {
        var table = new Table().NoBorder().HideRowSeparators();
        table.ShowHeaders = true;
        foreach (var header in headers) table.AddColumn(new TableColumn(header) { Padding = new Padding(0, 0, 3, 0), NoWrap = true });
        return table;
    }

    public static void Write(TextWriter output, IRenderable renderable)
    {
        var console = Console(output);
        // Into a pipe, a file or a test, a row is never wrapped or cropped (kubectl's way): a script splits lines into cells,
        // and `get -o wide` is wider than 160 columns (a recoverable span alone is 60).
        console.Profile.Width = IsTerminal(output) ? Math.Max(160, console.Profile.Width) : 4096;
        console.Write(renderable);
    }

    public static string Age(DateTimeOffset? since, DateTimeOffset now)
    {
        if (since is not { } s) return "-";
        var age = now - s;
        return age.TotalDays >= 2 ? $"{(int)age.TotalDays}d" : age.TotalHours >= 2 ? $"{(int)age.TotalHours}h" : age.TotalMinutes >= 2 ? $"{(int)age.TotalMinutes}m" : $"{Math.Max(0, (int)age.TotalSeconds)}s";
    }
}
