// CPU time as /proc counts it, for the benches: a process's own, and the whole machine's.
import fs from 'node:fs';
import path from 'node:path';

/** User + system CPU seconds of a process so far (0 when it is gone). */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    // Fields after the command name (which may hold spaces): state is the 3rd field, utime the 14th.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** A control-plane process's id (`kube-apiserver`, `etcd`, ...), from hack/cluster.sh's state directory. */
export function controlPlanePid(stateDir: string, name: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(stateDir, `cluster/pids/${name}.pid`), 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** The kube-apiserver's process id. */
export const apiServerPid = (stateDir: string): number | undefined => controlPlanePid(stateDir, 'kube-apiserver');

/** CPU seconds the whole machine has spent busy, and in all, since boot (every core summed). */
export function machineCpuSeconds(): { busy: number; total: number } {
  // The first line of /proc/stat: user nice system idle iowait irq softirq steal ..., in ticks.
  const ticks = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = ticks[3]! + ticks[4]!;
  return { busy: (total - idle) / 100, total: total / 100 };
}
