// Compiled with every C# candidate (codeeff/tasks/gtranseval/languages/csharp.py): what a C# 8+ compiler and .NET 6
// offer that Mono's mcs (C# 7, .NET Framework 4.x class library) lacks, for the candidates' use.
// - Len: the length used by the rewrite of C# 8's index-from-end, x[^k] -> x[CodeeffGteCompat.Len(x) - (k)];
// - .NET 6 LINQ: FirstOrDefault / LastOrDefault / SingleOrDefault with a default value, MinBy, MaxBy, DistinctBy.

using System;
using System.Collections.Generic;
using System.Linq;

static class CodeeffGteCompat
{
    public static int Len(string s) { return s.Length; }

    public static int Len(System.Text.StringBuilder s) { return s.Length; }

    public static int Len<T>(ICollection<T> c) { return c.Count; }

    public static T FirstOrDefault<T>(this IEnumerable<T> source, T defaultValue)
    {
        foreach (T x in source) return x;
        return defaultValue;
    }

    public static T FirstOrDefault<T>(this IEnumerable<T> source, Func<T, bool> predicate, T defaultValue)
    {
        foreach (T x in source) if (predicate(x)) return x;
        return defaultValue;
    }

    public static T LastOrDefault<T>(this IEnumerable<T> source, T defaultValue)
    {
        return source.Any() ? source.Last() : defaultValue;
    }

    public static T LastOrDefault<T>(this IEnumerable<T> source, Func<T, bool> predicate, T defaultValue)
    {
        return source.Any(predicate) ? source.Last(predicate) : defaultValue;
    }

    public static T SingleOrDefault<T>(this IEnumerable<T> source, T defaultValue)
    {
        return source.Any() ? source.Single() : defaultValue;
    }

    public static T SingleOrDefault<T>(this IEnumerable<T> source, Func<T, bool> predicate, T defaultValue)
    {
        return source.Any(predicate) ? source.Single(predicate) : defaultValue;
    }

    public static T MaxBy<T, K>(this IEnumerable<T> source, Func<T, K> key)
    {
        return Best(source, key, 1);
    }

    public static T MinBy<T, K>(this IEnumerable<T> source, Func<T, K> key)
    {
        return Best(source, key, -1);
    }

    static T Best<T, K>(IEnumerable<T> source, Func<T, K> key, int sign)
    {
        Comparer<K> comparer = Comparer<K>.Default;
        bool any = false;
        T best = default(T);
        K bestKey = default(K);
        foreach (T x in source)
        {
            K k = key(x);
            if (!any || sign * comparer.Compare(k, bestKey) > 0) { best = x; bestKey = k; any = true; }
        }
        if (!any && default(T) != null) throw new InvalidOperationException("Sequence contains no elements");
        return best;
    }

    public static IEnumerable<T> DistinctBy<T, K>(this IEnumerable<T> source, Func<T, K> key)
    {
        var seen = new HashSet<K>();
        foreach (T x in source) if (seen.Add(key(x))) yield return x;
    }
}
