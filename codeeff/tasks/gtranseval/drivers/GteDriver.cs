// G-TransEval test driver for C# candidates (record protocol v1, see codeeff/tasks/gtranseval/verdict.py).
//
// Compiled together with Candidate.cs (entry point: class GteDriver). The host sends the job's nonce and the test
// inputs on stdin (compiled jobs have no data files at run time); the driver reads both before it touches any
// candidate type, so no candidate code (static constructors included) runs before stdin is consumed. For each test id
// it converts the inputs to the entry's declared parameter types with C#'s implicit conversions for a literal of the
// benchmark's type (G-TransEval's two C# templates: List<T> / Dictionary<K, V> or T[] arrays), calls the entry and
// prints one framed record with the returned value (or the exception). The host compares the values with the expected
// ones; nothing here decides pass or fail. The nonce lives only in locals and in byte buffers cleared after use.

static class GteDriver
{
    static int Main()
    {
        return CodeeffGte.Driver.Run();
    }
}

namespace CodeeffGte
{
    using System;
    using System.Collections;
    using System.Collections.Generic;
    using System.Globalization;
    using System.IO;
    using System.Numerics;
    using System.Reflection;
    using System.Text;

    static class Driver
    {
        const int MaxDepth = 200;
        const int MaxItems = 1000000;

        internal static int Run()
        {
            Stream output = Console.OpenStandardOutput();
            TextReader stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
            byte[] nonce = Encoding.ASCII.GetBytes((stdin.ReadLine() ?? "").Trim());
            object document = new Json(stdin.ReadToEnd()).Parse();
            stdin.Dispose();
            var doc = (Dictionary<string, object>) document;
            var tests = (List<object>) doc["tests"];
            if (doc["entry"] == null)
            {
                Emit(output, nonce, "{\"error\":\"no_function\",\"detail\":\"the candidate defines no function\"}");
                return 0;
            }
            var entry = (Dictionary<string, object>) doc["entry"];
            var specs = (List<object>) entry["types"];
            bool paper = (bool) entry["paper"];
            bool listResult = HasList(entry["returns"]);
            List<MethodInfo> methods;
            Type owner = FindType((string) entry["owner"]);
            string name = (string) entry["name"];
            methods = new List<MethodInfo>();
            if (owner != null)
            {
                const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance;
                foreach (MethodInfo m in owner.GetMethods(all))
                {
                    if (m.Name == name && m.GetParameters().Length == specs.Count && !m.ContainsGenericParameters) methods.Add(m);
                }
            }
            if (methods.Count == 0)
            {
                string what = "no method " + name + "/" + specs.Count + " in " + entry["owner"];
                Emit(output, nonce, "{\"error\":\"no_function\",\"detail\":" + Quote(what) + "}");
                return 0;
            }
            object target = null;
            bool targetMade = false;
            for (int id = 0; id < tests.Count; id++)
            {
                var args = (List<object>) tests[id];
                MethodInfo method = null;
                object[] call = null;
                bool arrays = false;
                foreach (MethodInfo m in methods)
                {
                    call = Arguments(m.GetParameters(), args, specs, out arrays);
                    if (call != null) { method = m; break; }
                }
                if (method != null && paper && arrays && listResult)
                {
                    // The paper's array template also writes the expected list as an array, which its serializer
                    // rejects: the test program throws whatever the candidate returns.
                    string why = "the paper's array template serializes the expected value as an array, which it rejects";
                    Emit(output, nonce, "{\"id\":" + id + ",\"raised\":" + Quote(why) + "}");
                    continue;
                }
                if (method == null)
                {
                    string why = "the inputs do not convert to the parameters of " + Describe(methods[0]);
                    Emit(output, nonce, "{\"id\":" + id + ",\"refused\":" + Quote(why) + "}");
                    continue;
                }
                string record;
                try
                {
                    if (!method.IsStatic && !targetMade)
                    {
                        targetMade = true;
                        target = Activator.CreateInstance(method.DeclaringType, true);
                    }
                    object value = method.Invoke(method.IsStatic ? null : target, call);
                    var text = new StringBuilder();
                    Encode(value, text, 0);
                    record = "{\"id\":" + id + ",\"value\":" + text + "}";
                }
                catch (Exception error)
                {
                    record = "{\"id\":" + id + ",\"raised\":" + Quote(Raised(error)) + "}";
                }
                Emit(output, nonce, record);
            }
            output.Flush();
            Array.Clear(nonce, 0, nonce.Length);
            return 0;
        }

        static void Emit(Stream output, byte[] nonce, string record)
        {
            byte[] head = Encoding.ASCII.GetBytes("\n@@GTE:");
            byte[] body = Encoding.UTF8.GetBytes("@@" + record + "\n");
            byte[] line = new byte[head.Length + nonce.Length + body.Length];
            Buffer.BlockCopy(head, 0, line, 0, head.Length);
            Buffer.BlockCopy(nonce, 0, line, head.Length, nonce.Length);
            Buffer.BlockCopy(body, 0, line, head.Length + nonce.Length, body.Length);
            output.Write(line, 0, line.Length);
            output.Flush();
            Array.Clear(line, 0, line.Length);
        }

        static Type FindType(string name)
        {
            foreach (Type t in typeof(Driver).Assembly.GetTypes())
            {
                if (t.Namespace == "CodeeffGte" || t == typeof(GteDriver)) continue;
                if (t.Name == name || t.FullName == name) return t;
            }
            return null;
        }

        static string Describe(MethodInfo m)
        {
            var parts = new List<string>();
            foreach (ParameterInfo p in m.GetParameters()) parts.Add(p.ParameterType.ToString());
            return m.Name + "(" + string.Join(", ", parts.ToArray()) + ")";
        }

        static string Raised(Exception error)
        {
            Exception cause = error is TargetInvocationException && error.InnerException != null ? error.InnerException : error;
            string text = cause.GetType().FullName + ": " + cause.Message;
            return text.Length > 500 ? text.Substring(0, 500) : text;
        }

        // --- inputs: a literal of the benchmark's type, passed to the declared parameter type ---------------------

        /// The call's arguments, or null when C# would not compile the call with either template's literals.
        static object[] Arguments(ParameterInfo[] parameters, List<object> args, List<object> specs, out bool arrays)
        {
            arrays = false;
            foreach (bool useArrays in new[] { false, true })
            {
                arrays = useArrays;
                var call = new object[parameters.Length];
                bool ok = true;
                for (int i = 0; i < parameters.Length && ok; i++)
                {
                    Type type = parameters[i].ParameterType;
                    if (type.IsByRef) { ok = false; break; }
                    object spec = Concrete(specs[i], (List<object>) args[i]);
                    ok = Convert((List<object>) args[i], spec, type, arrays, out call[i]);
                }
                if (ok) return call;
            }
            return null;
        }

        static bool HasList(object spec)
        {
            if (spec is List<object>) return true;
            var map = spec as Dictionary<string, object>;
            if (map == null) return false;
            foreach (var kv in map) if (HasList(kv.Value)) return true;
            return false;
        }

        /// ``any`` parameters take the type of their concrete value (the paper writes the value's own literal).
        static object Concrete(object spec, List<object> wire)
        {
            if (!"any".Equals(spec)) return spec;
            switch ((string) wire[0])
            {
                case "int": return "int";
                case "float": return "double";
                case "bool": return "bool";
                case "str": return "char".Equals(wire[2]) ? "char" : "string";
                case "list": return new List<object> { "int" };
                default: return "any";
            }
        }

        static bool Convert(List<object> wire, object spec, Type type, bool arrays, out object value)
        {
            value = null;
            Type nullable = Nullable.GetUnderlyingType(type);
            if (nullable != null) type = nullable;
            string scalar = spec as string;
            if (scalar == "int") return FromInt(BigInteger.Parse((string) wire[1], CultureInfo.InvariantCulture), type, out value);
            if (scalar == "double")
            {
                double d = double.Parse((string) wire[1], NumberStyles.Float, CultureInfo.InvariantCulture);
                return Boxed(d, type, out value);
            }
            if (scalar == "char")
            {
                char c = ((string) wire[1])[0];
                if (type == typeof(char) || !IsNumeric(type)) return Boxed(c, type, out value);
                if (type == typeof(short) || type == typeof(byte) || type == typeof(sbyte)) return false;
                return FromInt(new BigInteger((int) c), type, out value);
            }
            if (scalar == "bool") return Boxed((bool) wire[1], type, out value);
            if (scalar == "string") return Boxed((string) wire[1], type, out value);
            object literal = Literal(wire, spec, arrays);
            if (literal == null || !type.IsAssignableFrom(literal.GetType())) return false;
            value = literal;
            return true;
        }

        static bool IsNumeric(Type t)
        {
            return t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(byte) || t == typeof(sbyte)
                || t == typeof(uint) || t == typeof(ulong) || t == typeof(ushort) || t == typeof(float)
                || t == typeof(double) || t == typeof(decimal) || t == typeof(BigInteger);
        }

        static bool Boxed(object literal, Type type, out object value)
        {
            value = literal;
            return type.IsAssignableFrom(literal.GetType());
        }

        /// An int literal: implicit numeric conversions, and the constant conversions to narrower types in range.
        static bool FromInt(BigInteger v, Type type, out object value)
        {
            value = null;
            if (v < int.MinValue || v > int.MaxValue) return false;
            int i = (int) v;
            if (type == typeof(int)) value = i;
            else if (type == typeof(long)) value = (long) i;
            else if (type == typeof(float)) value = (float) i;
            else if (type == typeof(double)) value = (double) i;
            else if (type == typeof(decimal)) value = (decimal) i;
            else if (type == typeof(BigInteger)) value = new BigInteger(i);
            else if (type == typeof(short) && i >= short.MinValue && i <= short.MaxValue) value = (short) i;
            else if (type == typeof(ushort) && i >= 0 && i <= ushort.MaxValue) value = (ushort) i;
            else if (type == typeof(byte) && i >= 0 && i <= byte.MaxValue) value = (byte) i;
            else if (type == typeof(sbyte) && i >= sbyte.MinValue && i <= sbyte.MaxValue) value = (sbyte) i;
            else if (type == typeof(uint) && i >= 0) value = (uint) i;
            else if (type == typeof(ulong) && i >= 0) value = (ulong) i;
            else if (type.IsAssignableFrom(typeof(int))) value = i;
            return value != null;
        }

        /// The value of the paper's literal for ``spec``: List<T> / Dictionary<K, V> (template 1) or T[] (template 2).
        static object Literal(List<object> wire, object spec, bool arrays)
        {
            if (spec is string)
            {
                switch ((string) spec)
                {
                    case "int": return int.Parse((string) wire[1], CultureInfo.InvariantCulture);
                    case "double": return double.Parse((string) wire[1], NumberStyles.Float, CultureInfo.InvariantCulture);
                    case "char": return ((string) wire[1])[0];
                    case "bool": return (bool) wire[1];
                    case "string": return (string) wire[1];
                    case "any": return Literal(wire, Concrete(spec, wire), arrays);
                }
                return null;
            }
            if (spec is List<object>)
            {
                object item = ((List<object>) spec)[0];
                Type element = LiteralType(item, arrays);
                var items = (List<object>) wire[1];
                if (arrays)
                {
                    Array array = Array.CreateInstance(element, items.Count);
                    for (int i = 0; i < items.Count; i++) array.SetValue(Literal((List<object>) items[i], item, arrays), i);
                    return array;
                }
                var list = (IList) Activator.CreateInstance(typeof(List<>).MakeGenericType(element));
                foreach (object x in items) list.Add(Literal((List<object>) x, item, arrays));
                return list;
            }
            var map = (Dictionary<string, object>) spec;
            object keySpec = null, valueSpec = null;
            foreach (var kv in map) { keySpec = kv.Key; valueSpec = kv.Value; }
            Type dictType = typeof(Dictionary<,>).MakeGenericType(LiteralType(keySpec, arrays), LiteralType(valueSpec, arrays));
            var dict = (IDictionary) Activator.CreateInstance(dictType);
            foreach (object pair in (List<object>) wire[1])
            {
                var kv = (List<object>) pair;
                dict[Literal((List<object>) kv[0], keySpec, arrays)] = Literal((List<object>) kv[1], valueSpec, arrays);
            }
            return dict;
        }

        static Type LiteralType(object spec, bool arrays)
        {
            if (spec is string)
            {
                switch ((string) spec)
                {
                    case "int": return typeof(int);
                    case "double": return typeof(double);
                    case "char": return typeof(char);
                    case "bool": return typeof(bool);
                    case "string": return typeof(string);
                    default: return typeof(object);
                }
            }
            if (spec is List<object>)
            {
                Type element = LiteralType(((List<object>) spec)[0], arrays);
                return arrays ? element.MakeArrayType() : typeof(List<>).MakeGenericType(element);
            }
            object keySpec = null, valueSpec = null;
            foreach (var kv in (Dictionary<string, object>) spec) { keySpec = kv.Key; valueSpec = kv.Value; }
            return typeof(Dictionary<,>).MakeGenericType(LiteralType(keySpec, arrays), LiteralType(valueSpec, arrays));
        }

        // --- returned values: the wire form, with the C# type as kind --------------------------------------------

        static void Encode(object value, StringBuilder o, int depth)
        {
            if (depth > MaxDepth) { o.Append("[\"other\",\"nesting deeper than " + MaxDepth + "\"]"); return; }
            if (value == null) { o.Append("[\"null\"]"); return; }
            if (value is bool) { o.Append((bool) value ? "[\"bool\",true]" : "[\"bool\",false]"); return; }
            string kind = IntegerKind(value);
            if (kind != null)
            {
                string digits = value is BigInteger ? ((BigInteger) value).ToString(CultureInfo.InvariantCulture)
                    : ((IFormattable) value).ToString(null, CultureInfo.InvariantCulture);
                o.Append("[\"int\",").Append(Quote(digits)).Append(",\"").Append(kind).Append("\"]");
                return;
            }
            if (value is double || value is float || value is decimal)
            {
                string text = value is decimal ? ((decimal) value).ToString(CultureInfo.InvariantCulture)
                    : (value is float ? (double) (float) value : (double) value).ToString("R", CultureInfo.InvariantCulture);
                string name = value is double ? "double" : value is float ? "float" : "decimal";
                o.Append("[\"float\",").Append(Quote(text)).Append(",\"").Append(name).Append("\"]");
                return;
            }
            if (value is char) { o.Append("[\"str\",").Append(Quote(value.ToString())).Append(",\"char\"]"); return; }
            if (value is string) { o.Append("[\"str\",").Append(Quote((string) value)).Append(",\"string\"]"); return; }
            if (value is StringBuilder) { o.Append("[\"str\",").Append(Quote(value.ToString())).Append(",\"StringBuilder\"]"); return; }
            if (value is IDictionary)
            {
                o.Append("[\"map\",[");
                int n = 0;
                foreach (DictionaryEntry e in (IDictionary) value)
                {
                    if (n++ > 0) o.Append(',');
                    if (n > MaxItems) { o.Length = 0; o.Append("[\"other\",\"more than a million entries\"]"); return; }
                    o.Append('[');
                    Encode(e.Key, o, depth + 1);
                    o.Append(',');
                    Encode(e.Value, o, depth + 1);
                    o.Append(']');
                }
                o.Append("],").Append(Quote(KindName(value.GetType()))).Append(']');
                return;
            }
            if (value is IEnumerable)
            {
                o.Append("[\"list\",[");
                int n = 0;
                foreach (object x in (IEnumerable) value)
                {
                    if (n++ > 0) o.Append(',');
                    if (n > MaxItems) { o.Length = 0; o.Append("[\"other\",\"more than a million items\"]"); return; }
                    Encode(x, o, depth + 1);
                }
                o.Append("],").Append(Quote(value is Array ? "array" : KindName(value.GetType()))).Append(']');
                return;
            }
            o.Append("[\"other\",").Append(Quote(value.GetType().FullName ?? value.GetType().Name)).Append(']');
        }

        static string IntegerKind(object v)
        {
            if (v is int) return "int";
            if (v is long) return "long";
            if (v is short) return "short";
            if (v is byte) return "byte";
            if (v is sbyte) return "sbyte";
            if (v is uint) return "uint";
            if (v is ulong) return "ulong";
            if (v is ushort) return "ushort";
            if (v is BigInteger) return "BigInteger";
            return null;
        }

        /// ``List`` only for List<T> itself (the paper's serializer checks the generic type definition).
        static string KindName(Type t)
        {
            string name = t.IsGenericType ? t.GetGenericTypeDefinition().Name : t.Name;
            int tick = name.IndexOf('`');
            name = tick >= 0 ? name.Substring(0, tick) : name;
            if (name == "List" && !(t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>))) return "List(subclass)";
            if (name == "Dictionary" && !(t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>))) return "Dictionary(subclass)";
            return name;
        }

        internal static string Quote(string s)
        {
            var o = new StringBuilder("\"");
            foreach (char c in s)
            {
                if (c == '"' || c == '\\') o.Append('\\').Append(c);
                else if (c < 0x20 || c > 0x7e) o.Append("\\u").Append(((int) c).ToString("x4"));
                else o.Append(c);
            }
            return o.Append('"').ToString();
        }
    }

    /// A strict reader of the host's input document: objects, arrays, strings, integers, true/false/null.
    sealed class Json
    {
        readonly string text;
        int at;

        internal Json(string text) { this.text = text; }

        internal object Parse()
        {
            object value = Value();
            Space();
            if (at != text.Length) throw new FormatException("trailing data in the input document");
            return value;
        }

        void Space() { while (at < text.Length && char.IsWhiteSpace(text[at])) at++; }

        object Value()
        {
            Space();
            char c = text[at];
            if (c == '{')
            {
                var map = new Dictionary<string, object>();
                at++;
                Space();
                if (text[at] == '}') { at++; return map; }
                while (true)
                {
                    Space();
                    string key = (string) Value();
                    Space();
                    Expect(':');
                    map[key] = Value();
                    Space();
                    if (text[at] == ',') { at++; continue; }
                    Expect('}');
                    return map;
                }
            }
            if (c == '[')
            {
                var list = new List<object>();
                at++;
                Space();
                if (text[at] == ']') { at++; return list; }
                while (true)
                {
                    list.Add(Value());
                    Space();
                    if (text[at] == ',') { at++; continue; }
                    Expect(']');
                    return list;
                }
            }
            if (c == '"') return Text();
            if (Word("true")) return true;
            if (Word("false")) return false;
            if (Word("null")) return null;
            int start = at;
            while (at < text.Length && (char.IsDigit(text[at]) || text[at] == '-')) at++;
            if (start == at) throw new FormatException("unexpected character in the input document");
            return long.Parse(text.Substring(start, at - start), CultureInfo.InvariantCulture);
        }

        bool Word(string w)
        {
            if (string.CompareOrdinal(text, at, w, 0, w.Length) != 0) return false;
            at += w.Length;
            return true;
        }

        void Expect(char c)
        {
            if (text[at] != c) throw new FormatException("expected '" + c + "' in the input document");
            at++;
        }

        string Text()
        {
            var o = new StringBuilder();
            at++;
            while (text[at] != '"')
            {
                char c = text[at++];
                if (c != '\\') { o.Append(c); continue; }
                char e = text[at++];
                switch (e)
                {
                    case 'n': o.Append('\n'); break;
                    case 't': o.Append('\t'); break;
                    case 'r': o.Append('\r'); break;
                    case 'b': o.Append('\b'); break;
                    case 'f': o.Append('\f'); break;
                    case 'u': o.Append((char) int.Parse(text.Substring(at, 4), NumberStyles.HexNumber)); at += 4; break;
                    default: o.Append(e); break;
                }
            }
            at++;
            return o.ToString();
        }
    }
}
