using Archiver.Host.Cli;

return await ArchiverCli.RunAsync(args, Console.Out, Console.Error);
