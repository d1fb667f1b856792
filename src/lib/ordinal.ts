// Sorting strings by UTF-16 code unit, as Go's sort.Strings and canonical JSON do. Not
// localeCompare: its order depends on the locale and the ICU data, and its first call pages ~3 MiB of
// ICU collation tables into a process that never needed them (BENCHMARKS.md, "Memory").

/** A comparator for Array.prototype.sort: code-unit order, the same on every machine. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
