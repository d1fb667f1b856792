// What a benchmark reads of a process's resident set from /proc: its peak (VmHWM), and its split
// into anonymous pages (what the program allocates) and file-backed ones (the binary's code and
// data pages: for node, ~35 MiB before any script runs; BENCHMARKS.md, "Memory").
import fs from 'node:fs';

/** A field of /proc/PID/status in kB (VmRSS, VmHWM, RssAnon, RssFile ...) as MiB; NaN when the process is gone. */
export function statusMiB(pid: number | undefined, field: string): number {
  if (!pid) return Number.NaN;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Peak resident set (VmHWM) of a running process, MiB. */
export const peakRssMiB = (pid: number | undefined): number => statusMiB(pid, 'VmHWM');

/** A resident set split: anonymous pages (heaps, stacks, malloc) and file-backed ones (the binary's code and data), MiB. */
export interface RssParts {
  anon: number;
  file: number;
}

/** The RssAnon and RssFile of a running process, MiB; undefined when it is gone. */
export function rssParts(pid: number | undefined): RssParts | undefined {
  const parts = { anon: statusMiB(pid, 'RssAnon'), file: statusMiB(pid, 'RssFile') };
  return Number.isNaN(parts.anon) || Number.isNaN(parts.file) ? undefined : parts;
}

/**
 * Samples each watched process's RssAnon and RssFile every `everyMs` and keeps the largest of
 * each: the kernel keeps only the peak of their sum (VmHWM). A peak between samples is missed.
 */
export function sampleRssParts(watched: readonly { name: string; pid: () => number | undefined }[], everyMs = 250): { stop: () => Record<string, RssParts> } {
  const peaks: Record<string, RssParts> = {};
  const sample = (): void => {
    for (const w of watched) {
      const now = rssParts(w.pid());
      if (!now) continue;
      const peak = peaks[w.name];
      peaks[w.name] = peak ? { anon: Math.max(peak.anon, now.anon), file: Math.max(peak.file, now.file) } : now;
    }
  };
  const timer = setInterval(sample, everyMs).unref();
  sample();
  return { stop: () => { clearInterval(timer); sample(); return peaks; } };
}
