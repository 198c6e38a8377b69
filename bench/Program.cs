using Archiver.Bench;

// Usage: dotnet run -c Release --project bench -- <group>|all
var groups = typeof(IBenchmarkGroup).Assembly.GetTypes()
    .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IBenchmarkGroup).IsAssignableFrom(t))
    .Select(t => (IBenchmarkGroup)Activator.CreateInstance(t)!)
    .OrderBy(g => g.Name, StringComparer.Ordinal)
    .ToList();
var names = string.Join(", ", groups.Select(g => g.Name));
if (args.Length != 1)
{
    Console.Error.WriteLine($"usage: bench <group>|all   (groups: {names})");
    return 2;
}

var selected = args[0] == "all" ? groups : groups.Where(g => g.Name == args[0]).ToList();
if (selected.Count == 0)
{
    Console.Error.WriteLine($"unknown group '{args[0]}' (groups: {names})");
    return 2;
}

var report = new BenchReport();
foreach (var group in selected)
{
    Console.WriteLine($"# group {group.Name}");
    await group.RunAsync(report);
}

var failed = report.Results.Count(r => !r.Pass);
Console.WriteLine($"# {report.Results.Count - failed} of {report.Results.Count} figures met their goal");
return 0;
