using Microsoft.Extensions.Logging;

namespace Archiver.Host.Cli;

/// <summary>
/// A logger onto a command's error writer, for the commands that run without a host (the sidecar): a failure's whole
/// exception, said once per cause by whoever logs it, lands in the container's log beside the command's own lines.
/// </summary>
internal sealed class TextWriterLogger(TextWriter writer, string command, LogLevel minimum = LogLevel.Information) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var line = $"archiver {command}: {logLevel.ToString().ToLowerInvariant()}: {formatter(state, exception)}";
        lock (writer)
        {
            writer.WriteLine(exception is null ? line : $"{line}{Environment.NewLine}{exception}");
        }
    }
}
