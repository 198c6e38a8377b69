using System.Text;

namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>
/// <c>$(VAR)</c> references in a container's command, args and env values, expanded as the kubelet does
/// (kubernetes/kubernetes <c>third_party/forked/golang/expansion/expand.go</c>): a defined variable is replaced, an
/// undefined reference is kept as written, <c>$$</c> is a literal <c>$</c>, anything else after <c>$</c> stays.
/// </summary>
internal static class Expansion
{
    public static string Expand(string input, Func<string, string?> lookup)
    {
        var output = new StringBuilder(input.Length);
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] != '$' || i + 1 >= input.Length)
            {
                output.Append(input[i]);
                continue;
            }

            var next = input[i + 1];
            if (next == '$')
            {
                output.Append('$');
                i++;
            }
            else if (next == '(')
            {
                var close = input.IndexOf(')', i + 2);
                if (close < 0)
                {
                    output.Append(input, i, input.Length - i);
                    break;
                }

                var name = input[(i + 2)..close];
                output.Append(lookup(name) ?? $"$({name})");
                i = close;
            }
            else
            {
                output.Append('$').Append(next);
                i++;
            }
        }

        return output.ToString();
    }
}
