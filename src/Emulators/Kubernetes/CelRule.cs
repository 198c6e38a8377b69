using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// One <c>x-kubernetes-validations</c> rule of a CRD's schema, compiled and evaluated as the API server does with CEL
/// (Kubernetes docs, "Validation rules" in extend-kubernetes/api-extension/custom-resources; apiextensions-apiserver
/// <c>pkg/apiserver/schema/cel</c>), for the part of CEL such rules are written in: <c>self</c> and <c>oldSelf</c>,
/// field selection (<c>self.a.b</c>, property names escaped as <c>__namespace__</c>, <c>__dash__</c>, …), indexing,
/// literals (numbers, strings, booleans, <c>null</c>, lists), <c>! - * / % + -</c>, the comparisons,
/// <c>in</c>, <c>&amp;&amp; || ?:</c>, the <c>has()</c> macro, <c>size()</c> and the string methods
/// <c>startsWith endsWith contains matches</c>. A rule using anything else does not compile here, so the CRD is
/// refused rather than stored with a rule nobody checks: the stand-in is never more lenient than the API server.
/// A rule that reads <c>oldSelf</c> is a transition rule: evaluated only on an update whose old object has the value.
/// </summary>
internal sealed partial class CelRule
{
    private static readonly HashSet<string> Reserved =
    [
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
        "loop", "package", "namespace", "return", "var", "void", "while",
    ];

    private readonly Func<Scope, object?> _evaluate;

    private CelRule(string text, Func<Scope, object?> evaluate, bool usesOldSelf)
    {
        Text = text;
        _evaluate = evaluate;
        UsesOldSelf = usesOldSelf;
    }

    public string Text { get; }

    /// <summary>A transition rule: evaluated only when the old object has a value here.</summary>
    public bool UsesOldSelf { get; }

    /// <summary>Compiles a rule; a <see cref="FormatException"/> says what it cannot compile.</summary>
    public static CelRule Compile(string text)
    {
        var parser = new Parser(Tokenize(text));
        var evaluate = parser.Expression();
        if (!parser.AtEnd) throw new FormatException($"unexpected '{parser.Peek}'");
        return new CelRule(text, evaluate, parser.UsesOldSelf);
    }

    /// <summary>True when the rule holds; a <see cref="CelException"/> when evaluating it fails (a missing field, a wrong type).</summary>
    public bool Holds(JsonNode? self, JsonNode? oldSelf) =>
        _evaluate(new Scope(Value(self), Value(oldSelf))) is bool result ? result : throw new CelException("no such overload: the rule does not evaluate to a bool");

    /// <summary>A CEL value for a JSON value: strings, 64-bit integers, doubles, booleans, null; maps and lists as they are.</summary>
    // Every arm is cast to object: JsonNode converts implicitly from strings and numbers, so it would otherwise be the
    // switch's type and turn the values back into JSON nodes.
    private static object? Value(JsonNode? node) => node switch
    {
        null => null,
        JsonObject or JsonArray => node,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (object)v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) => integer,
        JsonValue v => double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture),
        _ => throw new CelException("unsupported value"),
    };

    private static JsonNode? Node(object? value) => value switch
    {
        null => null,
        JsonNode node => node.DeepClone(),
        string s => JsonValue.Create(s),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        bool b => JsonValue.Create(b),
        _ => throw new CelException("unsupported value"),
    };

    private static List<Token> Tokenize(string text)
    {
        List<Token> tokens = [];
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Identifier, text[start..i]));
                continue;
            }

            if (char.IsDigit(c))
            {
                var match = NumberPattern().Match(text, i);
                tokens.Add(new Token(TokenKind.Number, match.Value));
                i += match.Length;
                continue;
            }

            if (c is '"' or '\'')
            {
                var value = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != c)
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                        value.Append(text[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', var other => other });
                    }
                    else
                    {
                        value.Append(text[i]);
                    }

                    i++;
                }

                if (i >= text.Length) throw new FormatException("unterminated string literal");
                i++;
                tokens.Add(new Token(TokenKind.String, value.ToString()));
                continue;
            }

            var two = i + 1 < text.Length ? text.Substring(i, 2) : "";
            if (two is "==" or "!=" or "<=" or ">=" or "&&" or "||")
            {
                tokens.Add(new Token(TokenKind.Symbol, two));
                i += 2;
                continue;
            }

            if ("()[].,!<>+-*/%?:".Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(new Token(TokenKind.Symbol, c.ToString()));
                i++;
                continue;
            }

            throw new FormatException($"unexpected character '{c}'");
        }

        return tokens;
    }

    /// <summary>A property name as CEL spells it (Kubernetes docs, "Escaping"): <c>__namespace__</c> is <c>namespace</c>.</summary>
    private static string Unescape(string name)
    {
        if (name.Length > 4 && name.StartsWith("__", StringComparison.Ordinal) && name.EndsWith("__", StringComparison.Ordinal) && Reserved.Contains(name[2..^2])) return name[2..^2];
        return name.Replace("__underscores__", "__", StringComparison.Ordinal).Replace("__dot__", ".", StringComparison.Ordinal)
            .Replace("__dash__", "-", StringComparison.Ordinal).Replace("__slash__", "/", StringComparison.Ordinal);
    }

    private static bool Truth(object? value) => value as bool? ?? throw new CelException("no such overload: a bool was expected");

    private static object? Select(object? target, string field) => target switch
    {
        JsonObject map => map.TryGetPropertyValue(field, out var value) ? Value(value) : throw new CelException($"no such key: {field}"),
        _ => throw new CelException($"no such key: {field}"),
    };

    private static object? Index(object? target, object? index) => (target, index) switch
    {
        (JsonArray list, long i) => i >= 0 && i < list.Count ? Value(list[(int)i]) : throw new CelException($"index out of bounds: {i}"),
        (JsonObject map, string key) => map.TryGetPropertyValue(key, out var value) ? Value(value) : throw new CelException($"no such key: {key}"),
        _ => throw new CelException("no such overload: index"),
    };

    private static long Size(object? value) => value switch
    {
        string s => s.EnumerateRunes().Count(),
        JsonArray list => list.Count,
        JsonObject map => map.Count,
        _ => throw new CelException("no such overload: size"),
    };

    private static bool Equal(object? a, object? b) => (a, b) switch
    {
        (long x, double y) => x == y,
        (double x, long y) => x == y,
        (JsonNode x, JsonNode y) => JsonNode.DeepEquals(x, y),
        _ => Equals(a, b),
    };

    private static int Compare(object? a, object? b) => (a, b) switch
    {
        (long x, long y) => x.CompareTo(y),
        (long x, double y) => ((double)x).CompareTo(y),
        (double x, long y) => x.CompareTo(y),
        (double x, double y) => x.CompareTo(y),
        (string x, string y) => string.CompareOrdinal(x, y),
        (bool x, bool y) => x.CompareTo(y),
        _ => throw new CelException("no such overload: comparison"),
    };

    private static object? Arithmetic(string op, object? a, object? b) => (op, a, b) switch
    {
        ("+", string x, string y) => (object)(x + y),
        ("+", JsonArray x, JsonArray y) => new JsonArray([.. x.Select(n => n?.DeepClone()), .. y.Select(n => n?.DeepClone())]),
        ("+", long x, long y) => checked(x + y),
        ("-", long x, long y) => checked(x - y),
        ("*", long x, long y) => checked(x * y),
        ("/", long x, long y) => y == 0 ? throw new CelException("division by zero") : x / y,
        ("%", long x, long y) => y == 0 ? throw new CelException("modulus by zero") : x % y,
        ("+", double x, double y) => x + y,
        ("-", double x, double y) => x - y,
        ("*", double x, double y) => x * y,
        ("/", double x, double y) => x / y,
        _ => throw new CelException($"no such overload: {op}"),
    };

    [GeneratedRegex(@"\G[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?u?")]
    private static partial Regex NumberPattern();

    private enum TokenKind
    {
        Identifier,
        Number,
        String,
        Symbol,
    }

    private sealed record Token(TokenKind Kind, string Text);

    private sealed record Scope(object? Self, object? OldSelf);

    /// <summary>Recursive descent in CEL's precedence: ?:, ||, &amp;&amp;, relations, + -, * / %, unary, member access.</summary>
    private sealed class Parser(List<Token> tokens)
    {
        private int _at;
        private (Func<Scope, object?> Owner, string Field, int End)? _lastSelection;

        public bool UsesOldSelf { get; private set; }

        public bool AtEnd => _at >= tokens.Count;

        public string Peek => AtEnd ? "end of rule" : tokens[_at].Text;

        public Func<Scope, object?> Expression()
        {
            var condition = Or();
            if (!Accept("?")) return condition;
            var then = Or();
            Expect(":");
            var otherwise = Expression();
            return s => Truth(condition(s)) ? then(s) : otherwise(s);
        }

        private Func<Scope, object?> Or()
        {
            var left = And();
            while (Accept("||"))
            {
                var l = left;
                var right = And();
                // CEL's || is commutative over errors: true on either side wins.
                left = s => Short(l, s, true) || Short(right, s, true) || (Truth(l(s)) | Truth(right(s)));
            }

            return left;
        }

        private Func<Scope, object?> And()
        {
            var left = Relation();
            while (Accept("&&"))
            {
                var l = left;
                var right = Relation();
                left = s => !(Short(l, s, false) || Short(right, s, false)) && (Truth(l(s)) & Truth(right(s)));
            }

            return left;
        }

        private Func<Scope, object?> Relation()
        {
            var left = Sum();
            while (!AtEnd && tokens[_at].Text is "==" or "!=" or "<" or "<=" or ">" or ">=" or "in")
            {
                var op = tokens[_at++].Text;
                var l = left;
                var right = Sum();
                left = op switch
                {
                    "==" => s => Equal(l(s), right(s)),
                    "!=" => s => !Equal(l(s), right(s)),
                    "<" => s => Compare(l(s), right(s)) < 0,
                    "<=" => s => Compare(l(s), right(s)) <= 0,
                    ">" => s => Compare(l(s), right(s)) > 0,
                    ">=" => s => Compare(l(s), right(s)) >= 0,
                    _ => s => right(s) switch
                    {
                        JsonArray list => list.Any(item => Equal(l(s), Value(item))),
                        JsonObject map => l(s) is string key ? map.ContainsKey(key) : throw new CelException("no such overload: in"),
                        _ => throw new CelException("no such overload: in"),
                    },
                };
            }

            return left;
        }

        private Func<Scope, object?> Sum()
        {
            var left = Product();
            while (!AtEnd && tokens[_at].Text is "+" or "-")
            {
                var op = tokens[_at++].Text;
                var l = left;
                var right = Product();
                left = s => Arithmetic(op, l(s), right(s));
            }

            return left;
        }

        private Func<Scope, object?> Product()
        {
            var left = Unary();
            while (!AtEnd && tokens[_at].Text is "*" or "/" or "%")
            {
                var op = tokens[_at++].Text;
                var l = left;
                var right = Unary();
                left = s => Arithmetic(op, l(s), right(s));
            }

            return left;
        }

        private Func<Scope, object?> Unary()
        {
            if (Accept("!"))
            {
                var operand = Unary();
                return s => !Truth(operand(s));
            }

            if (Accept("-"))
            {
                var operand = Unary();
                return s => operand(s) switch
                {
                    long l => (object)checked(-l),
                    double d => -d,
                    _ => throw new CelException("no such overload: -"),
                };
            }

            return Member();
        }

        private Func<Scope, object?> Member()
        {
            var target = Primary();
            while (true)
            {
                if (Accept("."))
                {
                    var name = Identifier();
                    var t = target;
                    if (Accept("("))
                    {
                        var arguments = Arguments();
                        target = Method(name, t, arguments);
                    }
                    else
                    {
                        var field = Unescape(name);
                        target = s => Select(t(s), field);
                        _lastSelection = (t, field, _at);
                    }
                }
                else if (Accept("["))
                {
                    var index = Expression();
                    Expect("]");
                    var t = target;
                    target = s => Index(t(s), index(s));
                }
                else
                {
                    return target;
                }
            }
        }

        private Func<Scope, object?> Primary()
        {
            if (AtEnd) throw new FormatException("unexpected end of rule");
            var token = tokens[_at++];
            switch (token.Kind)
            {
                case TokenKind.Number:
                    var text = token.Text.TrimEnd('u');
                    var number = long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) ? integer : (object)double.Parse(text, CultureInfo.InvariantCulture);
                    return _ => number;
                case TokenKind.String:
                    var literal = token.Text;
                    return _ => literal;
                case TokenKind.Symbol when token.Text == "(":
                    var inner = Expression();
                    Expect(")");
                    return inner;
                case TokenKind.Symbol when token.Text == "[":
                    List<Func<Scope, object?>> items = [];
                    if (!Accept("]"))
                    {
                        do items.Add(Expression());
                        while (Accept(","));
                        Expect("]");
                    }

                    return s => new JsonArray([.. items.Select(item => Node(item(s)))]);
                case TokenKind.Identifier:
                    return Identifier(token.Text);
                default:
                    throw new FormatException($"unexpected '{token.Text}'");
            }
        }

        private Func<Scope, object?> Identifier(string name)
        {
            switch (name)
            {
                case "true":
                    return _ => true;
                case "false":
                    return _ => false;
                case "null":
                    return _ => null;
                case "self":
                    return s => s.Self;
                case "oldSelf":
                    UsesOldSelf = true;
                    return s => s.OldSelf;
                case "has":
                    // The macro: has(e.f) is whether e, a map, has the field f; nothing is selected.
                    Expect("(");
                    Member();
                    if (_lastSelection is not { } selection || selection.End != _at) throw new FormatException("invalid argument to has() macro");
                    Expect(")");
                    return s => selection.Owner(s) is JsonObject map ? map.ContainsKey(selection.Field) : throw new CelException($"no such overload: has({selection.Field})");
                case "size":
                    Expect("(");
                    var argument = Expression();
                    Expect(")");
                    return s => Size(argument(s));
                default:
                    throw new FormatException($"undeclared reference to '{name}' (the API server stand-in evaluates self, oldSelf, has() and size() of CEL's functions, and string methods)");
            }
        }

        private Func<Scope, object?> Method(string name, Func<Scope, object?> target, List<Func<Scope, object?>> arguments)
        {
            Func<Scope, string> Argument(int i) => s => arguments[i](s) as string ?? throw new CelException($"no such overload: {name}");
            Func<Scope, string> Target() => s => target(s) as string ?? throw new CelException($"no such overload: {name}");
            if (name == "size" && arguments.Count == 0) return s => Size(target(s));
            if (arguments.Count != 1) throw new FormatException($"undeclared reference to '{name}' with {arguments.Count} arguments");
            var self = Target();
            var argument = Argument(0);
            return name switch
            {
                "startsWith" => s => self(s).StartsWith(argument(s), StringComparison.Ordinal),
                "endsWith" => s => self(s).EndsWith(argument(s), StringComparison.Ordinal),
                "contains" => s => self(s).Contains(argument(s), StringComparison.Ordinal),
                "matches" => s => Regex.IsMatch(self(s), argument(s), RegexOptions.None, TimeSpan.FromSeconds(1)),
                _ => throw new FormatException($"undeclared reference to '{name}' (the API server stand-in evaluates startsWith, endsWith, contains, matches and size)"),
            };
        }

        private List<Func<Scope, object?>> Arguments()
        {
            List<Func<Scope, object?>> arguments = [];
            if (Accept(")")) return arguments;
            do arguments.Add(Expression());
            while (Accept(","));
            Expect(")");
            return arguments;
        }

        private string Identifier()
        {
            if (AtEnd || tokens[_at].Kind != TokenKind.Identifier) throw new FormatException($"expected a field name, found '{Peek}'");
            return tokens[_at++].Text;
        }

        private bool Accept(string symbol)
        {
            if (AtEnd || tokens[_at].Kind is TokenKind.String || tokens[_at].Text != symbol) return false;
            _at++;
            return true;
        }

        private void Expect(string symbol)
        {
            if (!Accept(symbol)) throw new FormatException($"expected '{symbol}', found '{Peek}'");
        }

        /// <summary>Whether <paramref name="operand"/> is the value that decides the operator, errors aside (CEL's short-circuit both ways).</summary>
        private static bool Short(Func<Scope, object?> operand, Scope s, bool decisive)
        {
            try
            {
                return operand(s) is bool b && b == decisive;
            }
            catch (CelException)
            {
                return false;
            }
        }
    }
}
