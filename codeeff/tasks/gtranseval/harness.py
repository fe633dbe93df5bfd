"""Test programs for G-TransEval translations: one sandbox :class:`~codeeff.sandbox.Job` per (problem, candidate).

Each harness loads the candidate, calls its entry function (chosen by :mod:`.entry`, so any name works) on the five
config inputs, compares ``canon(result)`` with the expected canonical text (:mod:`.values`) and prints one result
line ``@@GTE@@{json}``. Exit codes follow the sandbox contract: 0 all passed, 3 a wrong answer, 4 the candidate does
not parse / defines no function, anything else a runtime error (an exception in a test).

- **python**: the candidate runs under G-TransEval's prelude (``from collections import *``, ``typing``,
  ``itertools``, ``functools``, ``math``, ``sys``) so translations that rely on it behave as in the paper.
- **javascript**: the candidate is evaluated with ``require``/``module`` in scope; dicts are passed as ``Map`` (as
  G-TransEval does) and plain-object answers are accepted as dicts.
- **java**: one program whose harness adapts each argument by reflection to the parameter types the candidate
  declares (``int``/``Integer``/``long``, ``int[]``/``Integer[]``/``List<Integer>``/``ArrayList``, ``char[]``,
  ``Map``/``HashMap``/``TreeMap``...). This accepts every typing of G-TransEval's two Java templates (``List<Integer>``
  and ``int[]``; a sample passes if either passes) with one compile and one JVM run instead of two.
- **cpp**: arguments are typed lvalues (``vector<T>``, ``unordered_map<K, V>``, ``string``), as in G-TransEval's
  template, so ``const T&``, ``T&`` and by-value parameters all bind; results of any integral/floating type,
  ``vector``, ``map``/``unordered_map``, ``string``/``char``/``bool`` are canonicalised.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from typing import Any

from codeeff.tasks.gtranseval import entry as entry_mod
from codeeff.tasks.gtranseval import values
from codeeff.tasks.gtranseval.problems import Problem

MARK = "@@GTE@@"
EXECUTABLE = ("python", "java", "cpp", "javascript")


@dataclass(frozen=True)
class Prepared:
    """A candidate ready to run: its job (or ``None`` with the reason when it cannot be built)."""

    job: Any
    entry: str | None
    error: str | None = None


def preferred_names(problem: Problem) -> list[str]:
    names = [problem.name]
    names += [n for n in (entry_mod.declared_name(src) for src in problem.sources.values()) if n]
    return names


def _choose(problem: Problem, code: str, language: str) -> entry_mod.FunctionInfo | None:
    return entry_mod.choose_entry(
        entry_mod.functions(code, language), preferred_names(problem), len(problem.params_type)
    )


def build_job(problem: Problem, code: str, language: str, limits: Any = None) -> Prepared:
    """The sandbox job testing ``code`` (a ``language`` translation of ``problem``)."""
    from codeeff.sandbox import Job

    if language not in EXECUTABLE:
        raise ValueError(f"no test harness for target language {language!r} (executable: {', '.join(EXECUTABLE)})")
    expected = [values.canon(t.expected, problem.return_type, language) for t in problem.tests]
    if language == "python":
        try:
            chosen = _choose(problem, code, language)
        except SyntaxError:
            chosen = None  # the harness reports the syntax error itself (exit 4) with line and message
        files = {"candidate.py": code, "main.py": _python_main(problem, expected, chosen)}
        return Prepared(Job(language, files, "main.py", limits=limits), chosen and chosen.name)
    chosen = _choose(problem, code, language)
    if language == "javascript":
        files = {"candidate.js": code, "main.js": _js_main(problem, expected, chosen)}
        return Prepared(Job(language, files, "main.js", limits=limits), chosen and chosen.name)
    if language == "java":
        files = {"Main.java": _java_program(problem, code, expected, chosen)}
        return Prepared(Job(language, files, "Main.java", limits=limits), chosen and chosen.name)
    files = {"main.cpp": _cpp_program(problem, code, expected, chosen)}
    return Prepared(Job(language, files, "main.cpp", limits=limits), chosen and chosen.name)


# --- Python ---------------------------------------------------------------------------------------------------------

_PY_PRELUDE = (
    "from collections import *\nfrom typing import *\nimport itertools\nimport functools\nimport math\nimport sys\n"
)

_PY_MAIN = r"""
import copy, json, os, sys, traceback

MARK = "@@GTE@@"
sys.setrecursionlimit(100000)
PRELUDE = __PRELUDE__
ENTRY = __ENTRY__  # (name, owner class or None, is_static)
TESTS = __TESTS__  # (args, expected canonical text)


def report(payload, code):
    sys.stdout.write("\n" + MARK + json.dumps(payload) + "\n")
    sys.stdout.flush()
    os._exit(code)


__CANON__


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "candidate.py"), encoding="utf-8") as fh:
        source = fh.read()
    try:
        code = compile(source, "candidate.py", "exec")
    except (SyntaxError, ValueError) as exc:
        report({"error": "syntax", "detail": "line %s: %s" % (getattr(exc, "lineno", "?"), exc)}, 4)
    if ENTRY is None:
        report({"error": "no_function", "detail": "the candidate defines no function"}, 4)
    namespace = {"__name__": "candidate"}
    try:
        exec(compile(PRELUDE, "<prelude>", "exec"), namespace)
        exec(code, namespace)
    except BaseException as exc:
        report({"error": "load", "detail": "".join(traceback.format_exception_only(type(exc), exc)).strip()}, 1)
    name, owner, is_static = ENTRY
    if owner is None:
        function = namespace[name]
    else:
        target = namespace[owner] if is_static else namespace[owner]()
        function = getattr(target, name)
    outcomes, raised = [], False
    for args, expected in TESTS:
        try:
            value = function(*copy.deepcopy(args))
        except BaseException as exc:
            raised = True
            outcomes.append({"ok": False, "error": "".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]})
            continue
        try:
            got = canon(value)
        except TypeError as exc:  # a wrong kind of answer (e.g. a tuple or set for a list): wrong, not a crash
            got = "<%s>" % exc
        outcomes.append({"ok": got == expected, "got": got[:300], "expected": expected[:300]})
    passed = sum(o["ok"] for o in outcomes)
    payload = {"entry": name, "passed": passed, "total": len(outcomes), "tests": outcomes}
    report(payload, 0 if passed == len(outcomes) else (1 if raised else 3))


main()
"""


def _python_canon_source() -> str:
    """The harness's ``canon`` is :func:`values.canon_python_value` itself (one definition of the semantics)."""
    number = inspect.getsource(values._number)
    body = inspect.getsource(values.canon_python_value).replace("canon_python_value", "canon")
    body = body.replace("bool | int | float", "(bool, int, float)").replace("value: Any", "value")
    return number + "\n\n" + body


def _python_main(problem: Problem, expected: list[str], chosen: entry_mod.FunctionInfo | None) -> str:
    tests = [
        (tuple(values.python_value(p, s) for p, s in zip(t.params, problem.params_type, strict=True)), e)
        for t, e in zip(problem.tests, expected, strict=True)
    ]
    entry = None if chosen is None else (chosen.name, chosen.owner, chosen.is_static)
    return (
        _PY_MAIN.replace("__PRELUDE__", repr(_PY_PRELUDE))
        .replace("__ENTRY__", repr(entry))
        .replace("__TESTS__", repr(tests))
        .replace("__CANON__", _python_canon_source())
    )


# --- JavaScript -----------------------------------------------------------------------------------------------------

_JS_MAIN = r"""
"use strict";
const fs = require("fs");
const path = require("path");
const MARK = "@@GTE@@";
const ENTRY = __ENTRY__;
const TESTS = __TESTS__;

function report(payload, code) {
  process.stdout.write("\n" + MARK + JSON.stringify(payload) + "\n", () => process.exit(code));
}
function num(x) {
  const t = Number(x).toFixed(6);
  return t === "-0.000000" ? "0.000000" : t;
}
function canon(o) {
  if (o === null || o === undefined) return "null";
  if (typeof o === "number" || typeof o === "bigint") return num(o);
  if (typeof o === "boolean") return o ? "true" : "false";
  if (typeof o === "string") return '"' + o + '"';
  if (Array.isArray(o) || ArrayBuffer.isView(o)) return "[" + Array.from(o).map(canon).join(",") + "]";
  let entries;
  if (o instanceof Map) entries = [...o.entries()];
  else if (typeof o === "object") entries = Object.entries(o).map(([k, v]) => [/^-?\d+(\.\d+)?$/.test(k) ? Number(k) : k, v]);
  else throw new TypeError("unsupported return type " + typeof o);
  const pairs = entries.map(([k, v]) => [canon(k), canon(v)]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : (a[1] < b[1] ? -1 : 1)));
  return "{" + pairs.map(([k, v]) => k + ":" + v).join(",") + "}";
}
function revive(v) {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === "object" && v.__map__) return new Map(v.__map__.map(([k, x]) => [revive(k), revive(x)]));
  return v;
}
const source = fs.readFileSync(path.join(__dirname, "candidate.js"), "utf8");
if (ENTRY === null) report({ error: "no_function", detail: "the candidate defines no function" }, 4);
else {
  let fn;
  try {
    const factory = new Function("require", "module", "exports", source + "\n;return (" + ENTRY + ");");
    const mod = { exports: {} };
    fn = factory(require, mod, mod.exports);
  } catch (e) {
    if (e instanceof SyntaxError) report({ error: "syntax", detail: String(e) }, 4);
    else report({ error: "load", detail: String(e) }, 1);
  }
  if (fn !== undefined) {
    const outcomes = [];
    let raised = false;
    for (const [args, expected] of TESTS) {
      let value;
      try {
        value = fn(...revive(args));
      } catch (e) {
        raised = true;
        outcomes.push({ ok: false, error: String(e).slice(0, 500) });
        continue;
      }
      let got;
      try {
        got = canon(value);
      } catch (e) {
        got = "<" + String(e) + ">";
      }
      outcomes.push({ ok: got === expected, got: got.slice(0, 300), expected: expected.slice(0, 300) });
    }
    const passed = outcomes.filter((o) => o.ok).length;
    report({ entry: ENTRY, passed, total: outcomes.length, tests: outcomes }, passed === outcomes.length ? 0 : raised ? 1 : 3);
  }
}
"""


def _js_value(raw: Any, spec: Any) -> Any:
    """JSON form of a value for the JS harness (dicts become ``{"__map__": [[k, v], ...]}`` -> ``Map``)."""
    raw, spec = values.resolve(raw, spec)
    if isinstance(spec, list):
        return [_js_value(item, spec[0]) for item in raw]
    if isinstance(spec, dict):
        key_spec, value_spec = next(iter(spec.items()))
        return {"__map__": [[_js_value(k, key_spec), _js_value(v, value_spec)] for k, v in raw.items()]}
    return values.python_value(raw, spec)


def _js_main(problem: Problem, expected: list[str], chosen: entry_mod.FunctionInfo | None) -> str:
    tests = [
        [[_js_value(p, s) for p, s in zip(t.params, problem.params_type, strict=True)], e]
        for t, e in zip(problem.tests, expected, strict=True)
    ]
    name = None
    if chosen is not None:
        name = chosen.name if chosen.owner is None else f"{chosen.owner}.{chosen.name}"
        if chosen.owner is not None and not chosen.is_static:
            name = f"((o) => o.{chosen.name}.bind(o))(new {chosen.owner}())"
    return _JS_MAIN.replace("__ENTRY__", json.dumps(name)).replace("__TESTS__", json.dumps(tests))


# --- Java -----------------------------------------------------------------------------------------------------------

_JAVA_IMPORTS = "import java.util.*;\nimport java.util.function.*;\nimport java.util.stream.*;\nimport java.math.*;\n"

_JAVA_HARNESS = r"""
public class Main {
  static final String MARK = "@@GTE@@";

  static List<Object> L(Object... xs) { return new ArrayList<>(Arrays.asList(xs)); }
  static Map<Object, Object> M(Object... kv) {
    Map<Object, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return m;
  }

  static String num(double d) {
    String t = String.format(java.util.Locale.ROOT, "%.6f", d);
    return t.equals("-0.000000") ? "0.000000" : t;
  }

  static String canon(Object o) {
    if (o == null) return "null";
    if (o instanceof Boolean) return ((Boolean) o) ? "true" : "false";
    if (o instanceof java.math.BigInteger) return new java.math.BigDecimal((java.math.BigInteger) o).setScale(6).toPlainString();
    if (o instanceof Number) return num(((Number) o).doubleValue());
    if (o instanceof Character || o instanceof CharSequence) return "\"" + o + "\"";
    if (o.getClass().isArray()) {
      StringBuilder sb = new StringBuilder("[");
      int n = java.lang.reflect.Array.getLength(o);
      for (int i = 0; i < n; i++) { if (i > 0) sb.append(','); sb.append(canon(java.lang.reflect.Array.get(o, i))); }
      return sb.append(']').toString();
    }
    if (o instanceof Iterable) {
      StringBuilder sb = new StringBuilder("[");
      boolean first = true;
      for (Object x : (Iterable<?>) o) { if (!first) sb.append(','); first = false; sb.append(canon(x)); }
      return sb.append(']').toString();
    }
    if (o instanceof Map) {
      List<String[]> pairs = new ArrayList<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) pairs.add(new String[] {canon(e.getKey()), canon(e.getValue())});
      pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
      StringBuilder sb = new StringBuilder("{");
      for (int i = 0; i < pairs.size(); i++) { if (i > 0) sb.append(','); sb.append(pairs.get(i)[0]).append(':').append(pairs.get(i)[1]); }
      return sb.append('}').toString();
    }
    throw new IllegalArgumentException("unsupported return type " + o.getClass().getName());
  }

  static Class<?> raw(java.lang.reflect.Type t) {
    if (t instanceof Class) return (Class<?>) t;
    if (t instanceof java.lang.reflect.ParameterizedType) return (Class<?>) ((java.lang.reflect.ParameterizedType) t).getRawType();
    if (t instanceof java.lang.reflect.GenericArrayType) {
      return java.lang.reflect.Array.newInstance(raw(((java.lang.reflect.GenericArrayType) t).getGenericComponentType()), 0).getClass();
    }
    return Object.class;
  }

  static java.lang.reflect.Type arg(java.lang.reflect.Type t, int i) {
    if (t instanceof java.lang.reflect.ParameterizedType) {
      java.lang.reflect.Type a = ((java.lang.reflect.ParameterizedType) t).getActualTypeArguments()[i];
      if (a instanceof java.lang.reflect.WildcardType) return ((java.lang.reflect.WildcardType) a).getUpperBounds()[0];
      return a;
    }
    return Object.class;
  }

  /** Convert a harness value (Integer, Double, Boolean, Character, String, List, Map) to the declared type. */
  @SuppressWarnings("unchecked")
  static Object convert(Object v, java.lang.reflect.Type type) throws Exception {
    Class<?> c = raw(type);
    if (v == null) return null;
    if (c == int.class || c == Integer.class) return ((Number) v).intValue();
    if (c == long.class || c == Long.class) return ((Number) v).longValue();
    if (c == double.class || c == Double.class) return ((Number) v).doubleValue();
    if (c == float.class || c == Float.class) return ((Number) v).floatValue();
    if (c == short.class || c == Short.class) return ((Number) v).shortValue();
    if (c == byte.class || c == Byte.class) return ((Number) v).byteValue();
    if (c == java.math.BigInteger.class) return java.math.BigInteger.valueOf(((Number) v).longValue());
    if (c == boolean.class || c == Boolean.class) return v;
    if (c == char.class || c == Character.class) return v instanceof Character ? v : ((String) v).charAt(0);
    if (c == String.class || c == CharSequence.class) return String.valueOf(v);
    if (c == StringBuilder.class) return new StringBuilder(String.valueOf(v));
    if (c.isArray()) {
      if (v instanceof String && c.getComponentType() == char.class) return ((String) v).toCharArray();
      List<Object> xs = (List<Object>) v;
      java.lang.reflect.Type comp = type instanceof java.lang.reflect.GenericArrayType
          ? ((java.lang.reflect.GenericArrayType) type).getGenericComponentType() : c.getComponentType();
      Object arr = java.lang.reflect.Array.newInstance(raw(comp), xs.size());
      for (int i = 0; i < xs.size(); i++) java.lang.reflect.Array.set(arr, i, convert(xs.get(i), comp));
      return arr;
    }
    if (v instanceof Map) {
      Map<Object, Object> m;
      if (!c.isInterface() && Map.class.isAssignableFrom(c)) m = (Map<Object, Object>) c.getDeclaredConstructor().newInstance();
      else if (SortedMap.class.isAssignableFrom(c)) m = new TreeMap<>();
      else m = new HashMap<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) m.put(convert(e.getKey(), arg(type, 0)), convert(e.getValue(), arg(type, 1)));
      return m;
    }
    if (v instanceof List) {
      Collection<Object> out;
      if (!c.isInterface() && Collection.class.isAssignableFrom(c)) out = (Collection<Object>) c.getDeclaredConstructor().newInstance();
      else if (Set.class.isAssignableFrom(c)) out = new LinkedHashSet<>();
      else if (Deque.class.isAssignableFrom(c) || Queue.class.isAssignableFrom(c)) out = new ArrayDeque<>();
      else out = new ArrayList<>();
      for (Object x : (List<?>) v) out.add(convert(x, arg(type, 0)));
      return out;
    }
    return v;
  }

  static void report(String json, int code) {
    System.out.println();
    System.out.println(MARK + json);
    System.out.flush();
    System.exit(code);
  }

  static String q(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
      else if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
      else sb.append(ch);
    }
    return sb.append('"').toString();
  }

  static String clip(String s) { return s.length() > 300 ? s.substring(0, 300) : s; }

  public static void main(String[] args) throws Exception {
    String owner = __OWNER__;
    String name = __NAME__;
    int arity = __ARITY__;
    Object[][] tests = __TESTS__;
    String[] expected = __EXPECTED__;
    Class<?> cls = Class.forName(owner);
    java.lang.reflect.Method method = null;
    for (java.lang.reflect.Method m : cls.getDeclaredMethods()) {
      if (m.getName().equals(name) && m.getParameterCount() == arity) { method = m; break; }
    }
    if (method == null) report("{\"error\":\"no_function\",\"detail\":" + q("no method " + name + "/" + arity) + "}", 4);
    method.setAccessible(true);
    Object target = null;
    if (!java.lang.reflect.Modifier.isStatic(method.getModifiers())) {
      java.lang.reflect.Constructor<?> ctor = cls.getDeclaredConstructor();
      ctor.setAccessible(true);
      target = ctor.newInstance();
    }
    StringBuilder out = new StringBuilder("[");
    int passed = 0;
    boolean raised = false;
    java.lang.reflect.Type[] types = method.getGenericParameterTypes();
    for (int t = 0; t < tests.length; t++) {
      if (t > 0) out.append(',');
      try {
        Object[] call = new Object[arity];
        for (int i = 0; i < arity; i++) call[i] = convert(tests[t][i], types[i]);
        String got = canon(method.invoke(target, call));
        boolean ok = got.equals(expected[t]);
        if (ok) passed++;
        out.append("{\"ok\":").append(ok).append(",\"got\":").append(q(clip(got))).append(",\"expected\":").append(q(clip(expected[t]))).append('}');
      } catch (Throwable e) {
        Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ? e.getCause() : e;
        raised = true;
        out.append("{\"ok\":false,\"error\":").append(q(clip(String.valueOf(cause)))).append('}');
      }
    }
    out.append(']');
    report("{\"entry\":" + q(name) + ",\"passed\":" + passed + ",\"total\":" + tests.length + ",\"tests\":" + out + "}",
        passed == tests.length ? 0 : (raised ? 1 : 3));
  }
}
"""


def _java_literal(raw: Any, spec: Any) -> str:
    raw, spec = values.resolve(raw, spec)
    if isinstance(spec, list):
        return "L(" + ", ".join(_java_literal(item, spec[0]) for item in raw) + ")"
    if isinstance(spec, dict):
        key_spec, value_spec = next(iter(spec.items()))
        items = [f"{_java_literal(k, key_spec)}, {_java_literal(v, value_spec)}" for k, v in raw.items()]
        return "M(" + ", ".join(items) + ")"
    value = values.python_value(raw, spec)
    if spec == "int":
        return f"Integer.valueOf({value})"
    if spec == "double":
        return f"Double.valueOf({value!r})"
    if spec == "bool":
        return "Boolean.TRUE" if value else "Boolean.FALSE"
    if spec == "char":
        return "Character.valueOf(" + _c_char(value) + ")"
    return json.dumps(value)


def _c_char(ch: str) -> str:
    return "'" + json.dumps(ch)[1:-1].replace("'", "\\'") + "'"


_JAVA_TOP_LEVEL_TYPE = re.compile(
    r"^\s*(?:(?:public|private|protected|abstract|final|static)\s+)*(?:class|interface|enum|record)\s+([A-Za-z_$][\w$]*)"
)


def split_top_level(code: str) -> list[tuple[str, str]]:
    """Split C-family code into top-level items: ("import", text), ("type", text) or ("member", text)."""
    masked = entry_mod.strip_comments_and_strings(code)
    items: list[tuple[str, str]] = []
    depth, start = 0, 0
    for i, ch in enumerate(masked):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                rest = masked[i + 1 :].lstrip()
                if not rest.startswith(";"):
                    items.append(_classify(code[start : i + 1], masked[start : i + 1]))
                    start = i + 1
        elif ch == ";" and depth == 0:
            items.append(_classify(code[start : i + 1], masked[start : i + 1]))
            start = i + 1
    if code[start:].strip():
        items.append(_classify(code[start:], masked[start:]))
    return [item for item in items if item[1].strip()]


def _classify(text: str, masked: str) -> tuple[str, str]:
    head = masked.strip()
    if re.match(r"(?:import|package|using|#include|#define|#pragma)\b", head):
        return "import", text.strip()
    if _JAVA_TOP_LEVEL_TYPE.match(masked) or re.match(r"(?:template\s*<[^>]*>\s*)?(?:class|struct)\b", head):
        return "type", text.strip()
    return "member", text.strip()


def _java_program(problem: Problem, code: str, expected: list[str], chosen: entry_mod.FunctionInfo | None) -> str:
    code = re.sub(r"\bMain\b", "CandidateMain", code)
    imports, types, members = [], [], []
    for kind, text in split_top_level(code):
        if kind == "import":
            if not text.startswith("package"):
                imports.append(text)
        elif kind == "type":
            types.append(re.sub(r"^\s*public\s+", "", text))
        else:
            members.append(text)
    owner = "Solution"
    if chosen is not None and chosen.owner is not None:
        owner = chosen.owner
    candidate = "\n\n".join(types)
    if members:
        candidate += "\n\nclass Solution {\n" + "\n\n".join(members) + "\n}\n"
    tests = [
        "new Object[] {"
        + ", ".join(_java_literal(p, s) for p, s in zip(t.params, problem.params_type, strict=True))
        + "}"
        for t in problem.tests
    ]
    harness = (
        _JAVA_HARNESS.replace("__OWNER__", json.dumps(owner))
        .replace("__NAME__", json.dumps(chosen.name if chosen else ""))
        .replace("__ARITY__", str(len(problem.params_type)))
        .replace("__TESTS__", "new Object[][] {" + ", ".join(tests) + "}")
        .replace("__EXPECTED__", "new String[] {" + ", ".join(json.dumps(e) for e in expected) + "}")
    )
    if chosen is None:
        harness = harness.replace(
            "Class<?> cls = Class.forName(owner);",
            'report("{\\"error\\":\\"no_function\\",\\"detail\\":\\"the candidate defines no function\\"}", 4);\n    Class<?> cls = Class.forName(owner);',
        )
    return _JAVA_IMPORTS + "\n".join(imports) + "\n\n" + candidate + "\n" + harness


# --- C++ ------------------------------------------------------------------------------------------------------------

_CPP_PRELUDE = """#include <bits/stdc++.h>
using namespace std;
"""

_CPP_HARNESS = r"""
namespace gte {
static std::string num(long double d) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.6Lf", d);
  std::string t(buf);
  return t == "-0.000000" ? "0.000000" : t;
}
static std::string canon(bool b) { return b ? "true" : "false"; }
static std::string canon(char c) { return "\"" + std::string(1, c) + "\""; }
static std::string canon(const std::string& s) { return "\"" + s + "\""; }
static std::string canon(const char* s) { return "\"" + std::string(s) + "\""; }
template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0> static std::string canon(T x) { return num((long double)x); }
template <class T> static std::string canon(const std::vector<T>& v);
template <class K, class V> static std::string canon(const std::map<K, V>& m);
template <class K, class V> static std::string canon(const std::unordered_map<K, V>& m);
template <class T> static std::string canon(const std::vector<T>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); i++) { if (i) s += ","; s += canon((T)v[i]); }
  return s + "]";
}
template <class M> static std::string canon_map(const M& m) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (auto& kv : m) pairs.push_back({canon(kv.first), canon(kv.second)});
  std::sort(pairs.begin(), pairs.end());
  std::string s = "{";
  for (size_t i = 0; i < pairs.size(); i++) { if (i) s += ","; s += pairs[i].first + ":" + pairs[i].second; }
  return s + "}";
}
template <class K, class V> static std::string canon(const std::map<K, V>& m) { return canon_map(m); }
template <class K, class V> static std::string canon(const std::unordered_map<K, V>& m) { return canon_map(m); }
static std::string quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') { o += '\\'; o += c; }
    else if ((unsigned char)c < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); o += b; }
    else o += c;
  }
  return o + "\"";
}
}  // namespace gte

int main() {
  int passed = 0, total = 0;
  bool raised = false;
  std::string out = "[";
  auto record = [&](const std::string& got, const std::string& expected) {
    if (total) out += ",";
    total++;
    bool ok = got == expected;
    passed += ok;
    out += std::string("{\"ok\":") + (ok ? "true" : "false") + ",\"got\":" + gte::quote(got.substr(0, 300)) +
           ",\"expected\":" + gte::quote(expected.substr(0, 300)) + "}";
  };
  auto failed = [&](const std::string& what) {
    if (total) out += ",";
    total++;
    raised = true;
    out += "{\"ok\":false,\"error\":" + gte::quote(what.substr(0, 300)) + "}";
  };
__TESTS__
  out += "]";
  std::cout << "\n@@GTE@@{\"entry\":" << gte::quote(__NAME__) << ",\"passed\":" << passed << ",\"total\":" << total
            << ",\"tests\":" << out << "}" << std::endl;
  return passed == total ? 0 : (raised ? 1 : 3);
}
"""


def _cpp_type(spec: Any) -> str:
    if isinstance(spec, list):
        return f"vector<{_cpp_type(spec[0])}>"
    if isinstance(spec, dict):
        key_spec, value_spec = next(iter(spec.items()))
        return f"unordered_map<{_cpp_type(key_spec)}, {_cpp_type(value_spec)}>"
    return {"int": "int", "double": "double", "bool": "bool", "char": "char", "string": "string", "any": "any"}[spec]


def _cpp_literal(raw: Any, spec: Any) -> str:
    if spec == "any":  # std::any holding the concrete value (an untyped [] becomes vector<int>{})
        raw, actual = values.resolve(raw, spec)
        return f"any({_cpp_type(actual)}({_cpp_literal(raw, actual)}))"
    raw, spec = values.resolve(raw, spec)
    if isinstance(spec, list):
        return "{" + ", ".join(_cpp_literal(item, spec[0]) for item in raw) + "}"
    if isinstance(spec, dict):
        key_spec, value_spec = next(iter(spec.items()))
        return (
            "{"
            + ", ".join(f"{{{_cpp_literal(k, key_spec)}, {_cpp_literal(v, value_spec)}}}" for k, v in raw.items())
            + "}"
        )
    value = values.python_value(raw, spec)
    if spec == "int":
        return str(value)
    if spec == "double":
        return repr(value)
    if spec == "bool":
        return "true" if value else "false"
    if spec == "char":
        return _c_char(value)
    return "string(" + json.dumps(value) + ")"


def _cpp_program(problem: Problem, code: str, expected: list[str], chosen: entry_mod.FunctionInfo | None) -> str:
    if chosen is None:
        body = '  std::cout << "\\n@@GTE@@{\\"error\\":\\"no_function\\"}" << std::endl;\n  return 4;\n}\n'
        return _CPP_PRELUDE + code + "\nint main() {\n" + body
    call = chosen.name
    if chosen.owner is not None:
        call = f"{chosen.owner}::{chosen.name}" if chosen.is_static else f"{chosen.owner}().{chosen.name}"
    lines = []
    for t, exp in zip(problem.tests, expected, strict=True):
        decls = [
            f"    {_cpp_type(s)} a{i} = {_cpp_literal(p, s)};"
            for i, (p, s) in enumerate(zip(t.params, problem.params_type, strict=True))
        ]
        args = ", ".join(f"a{i}" for i in range(len(decls)))
        lines.append(
            "  try {\n" + "\n".join(decls) + f"\n    record(gte::canon({call}({args})), {json.dumps(exp)});\n"
            '  } catch (const std::exception& e) { failed(e.what()); } catch (...) { failed("exception"); }'
        )
    main = _CPP_HARNESS.replace("__TESTS__", "\n".join(lines)).replace("__NAME__", json.dumps(chosen.name))
    return _CPP_PRELUDE + code + "\n" + main
