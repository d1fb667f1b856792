// Fault injection for crash-safety tests: a KubeClient that kills its process right after its
// N-th write has been answered, as if the stepper were OOM-killed or evicted at that instant.
// Enabled only by `davy step --crash-after-writes N` (a test aid, documented as such).
import type { KubeClient, KubeObject, ObjectRef, Patch, WriteOptions } from './client.js';

export function crashAfterWrites(inner: KubeClient, writes: number, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): KubeClient {
  let left = writes;
  const counted = async <T>(write: Promise<T>): Promise<T> => {
    const result = await write;
    left -= 1;
    if (left === 0) kill();
    return result;
  };
  return {
    get: <T extends KubeObject = KubeObject>(ref: ObjectRef) => inner.get<T>(ref),
    list: (apiVersion, kind, namespace, options) => inner.list(apiVersion, kind, namespace, options),
    create: <T extends KubeObject>(object: T, options?: WriteOptions) => counted(inner.create(object, options)),
    replace: <T extends KubeObject>(object: T, options?: WriteOptions) => counted(inner.replace(object, options)),
    replaceStatus: <T extends KubeObject>(object: T, options?: WriteOptions) => counted(inner.replaceStatus(object, options)),
    patch: <T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Patch, options?: WriteOptions) => counted(inner.patch<T>(ref, patch, options)),
    delete: (ref, options) => counted(inner.delete(ref, options)),
  };
}
