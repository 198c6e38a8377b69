using System.Globalization;

namespace Archiver.Bench;

/// <summary>
/// Prints each figure next to its reference, measured in the same run, as one machine-readable line:
/// <c>BENCH name=ID value=V reference=R ratio=X goal=&gt;=G pass=true|false</c>. Throughputs use <c>&gt;=</c>,
/// costs <c>&lt;=</c>. Where the goal is an absolute budget, the reference is that budget.
/// </summary>
internal sealed class BenchReport
{
    private readonly List<(string Name, bool Pass)> _results = [];

    public IReadOnlyList<(string Name, bool Pass)> Results => _results;

    /// <summary>A figure where more is better (throughput): passes if value / reference &gt;= goal.</summary>
    public void AtLeast(string name, double value, double reference, double goal) => Print(name, value, reference, ">=", goal, value / reference >= goal);

    /// <summary>A figure where less is better (time, memory): passes if value / reference &lt;= goal.</summary>
    public void AtMost(string name, double value, double reference, double goal) => Print(name, value, reference, "<=", goal, value / reference <= goal);

    /// <summary>
    /// A cost with an absolute budget (goal printed with its unit, e.g. <c>goal=&lt;=10s</c>), beside a reference
    /// measured in the same run: passes if value &lt;= budget, whatever the reference.
    /// </summary>
    public void WithinBudget(string name, double value, double reference, double budget, string unit) => Print(name, value, reference, "<=", budget, value <= budget, unit);

    private void Print(string name, double value, double reference, string op, double goal, bool pass, string unit = "")
    {
        _results.Add((name, pass));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"BENCH name={name} value={value:0.###} reference={reference:0.###} ratio={value / reference:0.###} goal={op}{goal:0.###}{unit} pass={(pass ? "true" : "false")}"));
    }
}
