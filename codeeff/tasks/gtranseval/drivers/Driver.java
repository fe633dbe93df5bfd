// G-TransEval test driver for Java candidates (record protocol v1, see codeeff/tasks/gtranseval/verdict.py).
//
// Compiled in the sandbox as Main.java with Candidate.java (the candidate's classes) and GteInput.java (the test
// inputs, the gte_input.json document as a string); the record nonce is the first line of stdin.
// It knows the test inputs only: it converts each input to the declared parameter type of the entry method the way
// Java accepts a literal of the benchmark's type (char -> int widening allowed, double -> int refused, List<Integer>
// or int[] for a list of ints), calls the entry by reflection and prints one framed record per test id with the
// returned value (or the exception). The host compares the values with the expected ones.

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.lang.reflect.Array;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public class Main {
  static final int MAX_DEPTH = 200;
  static String nonce;
  static FileOutputStream out;
  static boolean paper;  // mode paper: only the typings of G-TransEval's two Java templates (List<> or arrays)
  static int arraysUsed;
  static int listsUsed;

  /** The inputs cannot be converted to a declared parameter type the way Java would accept the literal. */
  static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }

  // --- records ------------------------------------------------------------------------------------------------------

  static void emit(String json) {
    byte[] data = ("\n@@GTE:" + nonce + "@@" + json + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      out.write(data);
      out.flush();
    } catch (Exception e) {
      // stdout is gone: the host sees missing records and fails the sample
    }
  }

  static String q(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
      else if (ch < 0x20 || ch > 0x7e) sb.append(String.format("\\u%04x", (int) ch));
      else sb.append(ch);
    }
    return sb.append('"').toString();
  }

  static String clip(String s) {
    return s.length() > 500 ? s.substring(0, 500) : s;
  }

  // --- returned values -> wire form ---------------------------------------------------------------------------------

  static String encode(Object o, int depth) {
    if (depth > MAX_DEPTH) return "[\"other\"," + q("nesting deeper than " + MAX_DEPTH) + "]";
    if (o == null) return "[\"null\"]";
    if (o instanceof Boolean) return "[\"bool\"," + o + "]";
    String kind = o.getClass().getSimpleName();
    if (o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte
        || o instanceof java.math.BigInteger || o instanceof java.util.concurrent.atomic.AtomicInteger
        || o instanceof java.util.concurrent.atomic.AtomicLong) {
      return "[\"int\"," + q(o.toString()) + "," + q(kind) + "]";
    }
    if (o instanceof Double || o instanceof Float) {
      double d = ((Number) o).doubleValue();
      String text = Double.isNaN(d) ? "nan" : Double.isInfinite(d) ? (d > 0 ? "inf" : "-inf") : Double.toString(d);
      return "[\"float\"," + q(text) + "," + q(kind) + "]";
    }
    if (o instanceof java.math.BigDecimal) {
      return "[\"float\"," + q(((java.math.BigDecimal) o).toString()) + "," + q(kind) + "]";
    }
    if (o instanceof Character) return "[\"str\"," + q(o.toString()) + ",\"Character\"]";
    if (o instanceof CharSequence) return "[\"str\"," + q(o.toString()) + "," + q(kind) + "]";
    if (o.getClass().isArray()) {
      StringBuilder sb = new StringBuilder("[\"list\",[");
      int n = Array.getLength(o);
      for (int i = 0; i < n; i++) sb.append(i > 0 ? "," : "").append(encode(Array.get(o, i), depth + 1));
      return sb.append("],\"array\"]").toString();
    }
    if (o instanceof Iterable) {
      StringBuilder sb = new StringBuilder("[\"list\",[");
      boolean first = true;
      for (Object x : (Iterable<?>) o) {
        sb.append(first ? "" : ",").append(encode(x, depth + 1));
        first = false;
      }
      return sb.append("],").append(q(o instanceof List ? "List" : kind)).append("]").toString();
    }
    if (o instanceof Map) {
      StringBuilder sb = new StringBuilder("[\"map\",[");
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
        sb.append(first ? "[" : ",[").append(encode(e.getKey(), depth + 1)).append(',');
        sb.append(encode(e.getValue(), depth + 1)).append(']');
        first = false;
      }
      return sb.append("],").append(q(kind)).append("]").toString();
    }
    return "[\"other\"," + q(o.getClass().getName()) + "]";
  }

  // --- gte_input.json (arrays, strings, booleans, null, integers) ---------------------------------------------------

  static final class Json {
    final String s;
    int i;

    Json(String s) {
      this.s = s;
    }

    Object value() {
      skip();
      char c = s.charAt(i);
      if (c == '[') {
        i++;
        List<Object> xs = new ArrayList<>();
        skip();
        if (s.charAt(i) == ']') {
          i++;
          return xs;
        }
        while (true) {
          xs.add(value());
          skip();
          if (s.charAt(i++) == ']') return xs;
        }
      }
      if (c == '{') {
        i++;
        Map<String, Object> m = new HashMap<>();
        skip();
        if (s.charAt(i) == '}') {
          i++;
          return m;
        }
        while (true) {
          String key = (String) value();
          skip();
          i++; // ':'
          m.put(key, value());
          skip();
          if (s.charAt(i++) == '}') return m;
        }
      }
      if (c == '"') return string();
      if (s.startsWith("true", i)) {
        i += 4;
        return Boolean.TRUE;
      }
      if (s.startsWith("false", i)) {
        i += 5;
        return Boolean.FALSE;
      }
      if (s.startsWith("null", i)) {
        i += 4;
        return null;
      }
      int start = i;
      while (i < s.length() && "-0123456789".indexOf(s.charAt(i)) >= 0) i++;
      return Long.parseLong(s.substring(start, i));
    }

    String string() {
      StringBuilder sb = new StringBuilder();
      i++;
      while (true) {
        char c = s.charAt(i++);
        if (c == '"') return sb.toString();
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        char e = s.charAt(i++);
        switch (e) {
          case 'n': sb.append('\n'); break;
          case 't': sb.append('\t'); break;
          case 'r': sb.append('\r'); break;
          case 'b': sb.append('\b'); break;
          case 'f': sb.append('\f'); break;
          case 'u': sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
          default: sb.append(e);
        }
      }
    }

    void skip() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }
  }

  // --- inputs -> declared parameter types ---------------------------------------------------------------------------

  static Class<?> raw(Type t) {
    if (t instanceof Class) return (Class<?>) t;
    if (t instanceof ParameterizedType) return (Class<?>) ((ParameterizedType) t).getRawType();
    if (t instanceof GenericArrayType) {
      return Array.newInstance(raw(((GenericArrayType) t).getGenericComponentType()), 0).getClass();
    }
    if (t instanceof WildcardType) return raw(((WildcardType) t).getUpperBounds()[0]);
    if (t instanceof TypeVariable) return raw(((TypeVariable<?>) t).getBounds()[0]);
    return Object.class;
  }

  static Type typeArg(Type t, int i) {
    if (t instanceof ParameterizedType) return ((ParameterizedType) t).getActualTypeArguments()[i];
    return Object.class;
  }

  static String name(Type t) {
    return t.getTypeName().replace("java.lang.", "").replace("java.util.", "");
  }

  /** The reference type the benchmark's literal of this wire value has (Integer, Double, List<...>, HashMap<...>). */
  static String literalType(List<?> w, Object spec) {
    if (spec instanceof List) return "List<" + literalElement((List<?>) spec) + ">";
    if (spec instanceof Map) {
      Map.Entry<?, ?> e = ((Map<?, ?>) spec).entrySet().iterator().next();
      return "HashMap<" + boxed(e.getKey()) + "," + boxed(e.getValue()) + ">";
    }
    return boxed(spec);
  }

  static String literalElement(List<?> spec) {
    return boxed(spec.get(0));
  }

  static String boxed(Object spec) {
    if (spec instanceof List) return "List<" + boxed(((List<?>) spec).get(0)) + ">";
    if (spec instanceof Map) {
      Map.Entry<?, ?> e = ((Map<?, ?>) spec).entrySet().iterator().next();
      return "HashMap<" + boxed(e.getKey()) + "," + boxed(e.getValue()) + ">";
    }
    switch (String.valueOf(spec)) {
      case "int": return "Integer";
      case "double": return "Double";
      case "char": return "Character";
      case "bool": return "Boolean";
      case "string": return "String";
      default: return "Object";
    }
  }

  /** Whether a generic type argument accepts exactly the benchmark's reference type (invariance; wildcards widen). */
  static boolean argAccepts(Type declared, String exact) {
    if (declared instanceof TypeVariable) return true;
    if (declared instanceof WildcardType) {
      WildcardType w = (WildcardType) declared;
      if (w.getLowerBounds().length > 0) return false;
      Type upper = w.getUpperBounds()[0];
      return upper == Object.class || superOf(raw(upper), exact);
    }
    return name(declared).replace(" ", "").equals(exact.replace(" ", ""));
  }

  static boolean superOf(Class<?> c, String exact) {
    String base = exact.contains("<") ? exact.substring(0, exact.indexOf('<')) : exact;
    Class<?> k;
    switch (base) {
      case "Integer": k = Integer.class; break;
      case "Double": k = Double.class; break;
      case "Character": k = Character.class; break;
      case "Boolean": k = Boolean.class; break;
      case "String": k = String.class; break;
      case "List": k = ArrayList.class; break;
      case "HashMap": k = HashMap.class; break;
      default: k = Object.class;
    }
    return c.isAssignableFrom(k);
  }

  /** Scalars: Java's method-invocation conversion of a literal (top level) or array-initializer conversion. */
  static Object scalar(List<?> w, Class<?> c, boolean initializer) throws Refused {
    String tag = (String) w.get(0);
    if (tag.equals("bool")) {
      if (c == boolean.class || c.isAssignableFrom(Boolean.class)) return w.get(1);
      throw new Refused("a boolean input cannot be passed as " + c.getSimpleName());
    }
    if (tag.equals("str") && "string".equals(w.get(2))) {
      if (c.isAssignableFrom(String.class)) return w.get(1);
      throw new Refused("a String input cannot be passed as " + c.getSimpleName());
    }
    if (tag.equals("str")) {  // char
      char ch = ((String) w.get(1)).charAt(0);
      if (c == char.class || c.isAssignableFrom(Character.class)) return ch;
      if (c == int.class) return (int) ch;
      if (c == long.class) return (long) ch;
      if (c == float.class) return (float) ch;
      if (c == double.class) return (double) ch;
      throw new Refused("a char input cannot be passed as " + c.getSimpleName());
    }
    if (tag.equals("int")) {
      long v = Long.parseLong((String) w.get(1));
      if (c == int.class || c.isAssignableFrom(Integer.class)) return (int) v;
      if (c == long.class) return v;
      if (c == float.class) return (float) v;
      if (c == double.class) return (double) v;
      if (initializer && paper && c != int.class) throw new Refused("the paper's int[] holds int, not " + c.getSimpleName());
      if (initializer && c == short.class && v == (short) v) return (short) v;
      if (initializer && c == byte.class && v == (byte) v) return (byte) v;
      if (initializer && c == char.class && v == (char) v) return (char) v;
      throw new Refused("an int input cannot be passed as " + c.getSimpleName());
    }
    if (tag.equals("float")) {
      double d = Double.parseDouble((String) w.get(1));
      if (c == double.class || c.isAssignableFrom(Double.class)) return d;
      throw new Refused("a double input (" + w.get(1) + ") cannot be passed as " + c.getSimpleName()
          + " (narrowing)");
    }
    throw new Refused("unknown input " + w);
  }

  @SuppressWarnings("unchecked")
  static Object convert(List<?> w, Object spec, Type type, boolean initializer) throws Refused {
    String tag = (String) w.get(0);
    Class<?> c = raw(type);
    if (tag.equals("null")) return null;
    if (!tag.equals("list") && !tag.equals("map")) return scalar(w, c, initializer);
    List<?> items = (List<?>) w.get(1);
    Object elementSpec = spec instanceof List ? ((List<?>) spec).get(0) : "any";
    if (tag.equals("list") && c.isArray()) {
      Type comp = type instanceof GenericArrayType
          ? ((GenericArrayType) type).getGenericComponentType() : c.getComponentType();
      arraysUsed++;
      if (paper && !paperComponent(elementSpec, raw(comp))) {
        throw new Refused("the paper's array template passes new " + primitive(elementSpec) + "[]{...}, not "
            + name(type));
      }
      Object arr = Array.newInstance(raw(comp), items.size());
      for (int i = 0; i < items.size(); i++) {
        Array.set(arr, i, convert((List<?>) items.get(i), elementSpec, comp, true));
      }
      return arr;
    }
    if (tag.equals("list")) {
      listsUsed++;
      // new ArrayList<>(Arrays.asList(...)): any supertype of ArrayList<E> whose E takes every element
      if (!c.isAssignableFrom(ArrayList.class)) {
        throw new Refused("a list input cannot be passed as " + name(type));
      }
      Type elementType = typeArg(type, 0);
      if (elementType instanceof WildcardType) elementType = ((WildcardType) elementType).getUpperBounds()[0];
      Class<?> e = raw(elementType);
      if (e.isPrimitive() || e.isArray()) throw new Refused("a list input cannot be passed as " + name(type));
      List<Object> xs = new ArrayList<>();
      for (Object item : items) xs.add(convert((List<?>) item, elementSpec, elementType, false));
      return xs;
    }
    // map: new HashMap<K, V>(Map.of(...)) -> a supertype of HashMap whose type arguments are exactly K and V
    Map.Entry<?, ?> kv = spec instanceof Map ? ((Map<?, ?>) spec).entrySet().iterator().next() : null;
    if (!c.isAssignableFrom(HashMap.class)) throw new Refused("a map input cannot be passed as " + name(type));
    if (kv != null && type instanceof ParameterizedType
        && (!argAccepts(typeArg(type, 0), boxed(kv.getKey())) || !argAccepts(typeArg(type, 1), boxed(kv.getValue())))) {
      throw new Refused("a " + literalType(w, spec) + " input cannot be passed as " + name(type));
    }
    Map<Object, Object> m = new HashMap<>();
    Type kt = typeArg(type, 0);
    Type vt = typeArg(type, 1);
    for (Object pair : items) {
      List<?> p = (List<?>) pair;
      m.put(convert((List<?>) p.get(0), kv == null ? "any" : kv.getKey(), kt, false),
          convert((List<?>) p.get(1), kv == null ? "any" : kv.getValue(), vt, false));
    }
    return m;
  }

  static String primitive(Object spec) {
    if (spec instanceof List) return primitive(((List<?>) spec).get(0)) + "[]";
    switch (String.valueOf(spec)) {
      case "int": return "int";
      case "double": return "double";
      case "char": return "char";
      case "bool": return "boolean";
      case "string": return "String";
      default: return "Object";
    }
  }

  /** The component type of G-TransEval's array template for a list of ``spec`` (int[], double[], String[]...). */
  static boolean paperComponent(Object spec, Class<?> comp) {
    if (spec instanceof List) return comp.isArray() && paperComponent(((List<?>) spec).get(0), comp.getComponentType());
    switch (String.valueOf(spec)) {
      case "int": return comp == int.class;
      case "double": return comp == double.class;
      case "char": return comp == char.class;
      case "bool": return comp == boolean.class;
      case "string": return comp == String.class;
      default: return comp == Object.class;
    }
  }

  // --- main ---------------------------------------------------------------------------------------------------------

  @SuppressWarnings("unchecked")
  public static void main(String[] args) throws Exception {
    nonce = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.US_ASCII))
        .readLine().trim();
    out = new FileOutputStream(FileDescriptor.out);
    String text = (String) Class.forName("GteInput").getDeclaredMethod("json").invoke(null);
    Map<String, Object> input = (Map<String, Object>) new Json(text).value();
    Map<String, Object> entry = (Map<String, Object>) input.get("entry");
    List<Object> types = (List<Object>) input.get("types");
    List<Object> tests = (List<Object>) input.get("tests");
    paper = Boolean.TRUE.equals(input.get("paper"));
    if (entry == null) {
      emit("{\"error\":\"no_function\",\"detail\":\"the candidate defines no function\"}");
      System.exit(0);
    }
    String methodName = (String) entry.get("name");
    int arity = types.size();
    Method method = null;
    Object target = null;
    try {
      Class<?> cls = Class.forName((String) entry.get("owner"));
      for (Method m : cls.getDeclaredMethods()) {
        if (m.getName().equals(methodName) && m.getParameterCount() == arity) {
          method = m;
          break;
        }
      }
      if (method == null) {
        emit("{\"error\":\"no_function\",\"detail\":" + q("no method " + methodName + " with " + arity
            + " parameters") + "}");
        System.exit(0);
      }
      method.setAccessible(true);
      if (!Modifier.isStatic(method.getModifiers())) {
        java.lang.reflect.Constructor<?> ctor = cls.getDeclaredConstructor();
        ctor.setAccessible(true);
        target = ctor.newInstance();
      }
    } catch (Throwable e) {
      Throwable cause = e instanceof InvocationTargetException ? e.getCause() : e;
      emit("{\"error\":\"load\",\"detail\":" + q(clip(String.valueOf(cause))) + "}");
      System.exit(0);
    }
    Type[] declared = method.getGenericParameterTypes();
    for (int t = 0; t < tests.size(); t++) {
      List<Object> testArgs = (List<Object>) tests.get(t);
      Object[] call = new Object[arity];
      try {
        arraysUsed = 0;
        listsUsed = 0;
        for (int i = 0; i < arity; i++) {
          call[i] = convert((List<?>) testArgs.get(i), types.get(i), declared[i], false);
        }
        if (paper && arraysUsed > 0 && listsUsed > 0) {
          throw new Refused("the paper's templates type every list as List<> or every list as an array, not both");
        }
      } catch (Refused e) {
        emit("{\"id\":" + t + ",\"refused\":" + q(clip("parameter types " + name(method.getGenericReturnType())
            + " " + methodName + signature(declared) + ": " + e.getMessage())) + "}");
        continue;
      }
      Object value;
      try {
        value = method.invoke(target, call);
      } catch (Throwable e) {
        Throwable cause = e instanceof InvocationTargetException ? e.getCause() : e;
        emit("{\"id\":" + t + ",\"raised\":" + q(clip(String.valueOf(cause))) + "}");
        continue;
      }
      String wire;
      try {
        wire = encode(value, 0);
      } catch (Throwable e) {
        wire = "[\"other\"," + q(clip("unencodable: " + e)) + "]";
      }
      emit("{\"id\":" + t + ",\"value\":" + wire + "}");
    }
    System.out.flush();
    Runtime.getRuntime().halt(0);
  }

  static String signature(Type[] declared) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < declared.length; i++) sb.append(i > 0 ? ", " : "").append(name(declared[i]));
    return sb.append(")").toString();
  }
}
