// `davy promote|abort|retry|pause|resume NAME [-n NS] [--force]`: writes the `davy.dev/action`
// annotation with a fresh nonce, says what the stepper will do with it and how to watch it. The
// stepper executes each nonce once and records who asked and when (DESIGN.md, Imperative actions).
// All I/O is injected (ActionIO); actions-command.ts wires the real kubeconfig and streams.

import { ANNOTATION_STATE } from '../api/keys.js';
import type { Canary } from '../api/types.js';
import { CLUSTER_FLAGS, CLUSTER_FLAGS_USAGE, booleanFlag, clusterFlags, parseFlags, type ClusterFlags } from '../config/cli.js';
import { ConflictError, type KubeClient, type KubeObject } from '../kube/client.js';
import { parseState } from '../stepper/index.js';
import { configRefs, trackConfigs } from '../workloads/config-tracking.js';
import { isWorkload, type ConfigObject } from '../workloads/types.js';
import { actionAnnotation, actionPatch, FIELD_MANAGER, preview, type Expectation, type Surroundings, type Verb } from './actions-plan.js';
import { canaryRef, describeFailure, isFailure, openSession, type ClusterSession, type Connect } from './status-kube.js';
import { canaryView } from './status-model.js';

export interface ActionIO {
  stdout(text: string): void;
  stderr(text: string): void;
  connect: Connect;
  now(): Date;
  /** A fresh random nonce. */
  nonce(): string;
  /** `davy`, or `kubectl davy` when run as the kubectl plugin. */
  program: string;
}

const SUMMARY: Record<Verb, string> = {
  promote: 'skip the rest of the analysis and promote the revision under analysis (or a pending revision, without analysis)',
  abort: 'roll back the revision under analysis now',
  retry: 're-run the analysis of a Failed revision, with no change to the template',
  pause: 'hold the weight and iterations (the checks go on) until resume',
  resume: 'let a paused analysis advance again',
};

export const actionUsage = (verb: Verb, program: string): string => `Usage: ${program} ${verb} NAME [-n NS] [--force]

Asks the stepper to ${SUMMARY[verb]}: writes the annotation
davy.dev/action: {"action":"${verb}","nonce":"<random>","by":"<you>","at":"<time>"} on the Canary.
The stepper executes each nonce once, records who asked and when, and emits an event.

${CLUSTER_FLAGS_USAGE}
      --force             write it even when the stepper would ignore it in the canary's phase

Exit status: 0 written, 1 no such canary, the stepper would ignore it, or the API server refused,
2 usage error or no cluster.
`;

const ACTION_FLAGS = { ...CLUSTER_FLAGS, force: { type: 'boolean' } } as const;
const CONFLICT_RETRIES = 3;

interface ActionArgs {
  name: string;
  cluster: ClusterFlags;
  force: boolean;
}

function parseActionArgs(argv: string[]): ActionArgs | { help: true } | { error: string } {
  const parsed = parseFlags(argv, ACTION_FLAGS);
  if (parsed.kind === 'help') return { help: true };
  if (parsed.kind === 'error') return { error: parsed.error };
  const [name, ...extra] = parsed.positionals;
  if (name === undefined) return { error: 'the canary NAME is required' };
  if (extra.length > 0) return { error: `one canary at a time, got ${parsed.positionals.join(' ')}` };
  return { name, cluster: clusterFlags(parsed.values), force: booleanFlag(parsed.values, 'force') };
}

type Outcome = { code: number; out: string[]; err: string[] };

/** One read-predict-write round; undefined when the write met a newer version of the canary. */
async function attempt(
  verb: Verb,
  args: ActionArgs,
  session: ClusterSession,
  io: ActionIO,
): Promise<Outcome | undefined> {
  const ref = canaryRef(args.name, session.namespace);
  const where = `${session.namespace}/${args.name}`;
  const canary = (await session.client.get<KubeObject>(ref)) as unknown as Canary | undefined;
  if (!canary) return { code: 1, out: [], err: [`canary ${JSON.stringify(args.name)} not found in namespace ${session.namespace}: nothing written`] };
  const parsed = parseState(canary.metadata.annotations?.[ANNOTATION_STATE]);
  const by = session.user ?? 'unknown';
  const now = io.now();
  const around = await surroundings(session.client, canary, session.namespace);
  const expected = 'error' in around ? undefined : preview(verb, by, canary, around, now);
  if (expected && !expected.applies && !args.force) {
    const refusal = `${verb} refused for ${where} (${parsed.state.phase}): ${expected.what}; the stepper would record it as ignored (--force writes it anyway)`;
    return { code: 1, out: [], err: [refusal] };
  }
  const view = canaryView(canary, now, { estimate: false });
  const err: string[] = [];
  const pending = view.pendingAction;
  if (pending && !('error' in pending)) err.push(`Note: this replaces the pending ${pending.action} by ${pending.by ?? 'unknown'}, which the stepper has not handled yet`);
  if ('error' in around) err.push(`Note: no preview of the stepper's verdict: ${around.error}`);
  const body = { action: verb, nonce: io.nonce(), by, at: now.toISOString() };
  try {
    const patch = actionPatch(actionAnnotation(body), canary.metadata.resourceVersion);
    await session.client.patch(ref, patch, { fieldManager: FIELD_MANAGER });
  } catch (error) {
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
  const namespaceFlag = session.namespace === 'default' ? '' : ` -n ${session.namespace}`;
  const out = [
    `${verb} requested for ${where} by ${body.by} (nonce ${body.nonce}).`,
    expected
      ? verdictLine(expected)
      : parsed.kind === 'corrupt'
        ? `The canary's state is unreadable (${parsed.reason}): the stepper decides on its next step.`
        : parsed.state.phase === ''
          ? 'The stepper has not stepped this canary yet: it decides on its first step.'
          : 'The stepper decides on its next step.',
    `Watch it: ${io.program} status ${args.name}${namespaceFlag} --watch`,
  ];
  return { code: 0, out, err };
}

const verdictLine = (expected: Expectation): string =>
  expected.applies ? `On its next step the stepper carries it out: ${expected.what}.` : `The stepper will record it as ignored: ${expected.what}.`;

/** The target and the configs its template references, read as the stepper reads them, or why they cannot be. */
async function surroundings(
  client: KubeClient,
  canary: Canary,
  namespace: string,
): Promise<Surroundings | { error: string }> {
  const targetRef = canary.spec?.targetRef;
  if (!targetRef?.apiVersion || !targetRef.kind || !targetRef.name) return { configs: {} };
  try {
    const { apiVersion, kind, name } = targetRef;
    const found = await client.get({ apiVersion, kind, name, namespace });
    const target = isWorkload(found) ? found : undefined;
    const template = target?.spec?.template;
    const refs = configRefs(template);
    const read = await Promise.all(refs.map((ref) => client.get<ConfigObject>({ apiVersion: 'v1', kind: ref.kind, name: ref.name, namespace })));
    const objects = read.filter((object): object is ConfigObject => object !== undefined);
    const tracked = trackConfigs(template, {
      configMaps: objects.filter((object) => object.kind === 'ConfigMap'),
      secrets: objects.filter((object) => object.kind === 'Secret'),
    });
    if (!tracked.ok) return { error: tracked.error.message };
    return { ...(target ? { target } : {}), configs: tracked.value };
  } catch (error) {
    return { error: describeFailure(error).message };
  }
}

export async function runAction(verb: Verb, argv: string[], io: ActionIO): Promise<number> {
  const args = parseActionArgs(argv);
  if ('help' in args) {
    io.stdout(actionUsage(verb, io.program));
    return 0;
  }
  if ('error' in args) {
    io.stderr(`${io.program} ${verb}: ${args.error}\n\n${actionUsage(verb, io.program)}`);
    return 2;
  }
  const opened = await openSession(io.connect, args.cluster);
  if (isFailure(opened)) {
    io.stderr(`${io.program} ${verb}: ${opened.message}\n`);
    return opened.code;
  }
  const session = opened;
  try {
    for (let i = 0; i < CONFLICT_RETRIES; i += 1) {
      const outcome = await attempt(verb, args, session, io);
      if (!outcome) continue;
      for (const line of outcome.err) io.stderr(`${line.startsWith('Note:') ? '' : `${io.program} ${verb}: `}${line}\n`);
      if (outcome.out.length > 0) io.stdout(`${outcome.out.join('\n')}\n`);
      return outcome.code;
    }
    io.stderr(`${io.program} ${verb}: the canary kept changing while the action was written (${CONFLICT_RETRIES} conflicts); try again\n`);
    return 1;
  } catch (error) {
    const failure = describeFailure(error);
    io.stderr(`${io.program} ${verb}: ${failure.message}\n`);
    return failure.code;
  } finally {
    session.close();
  }
}
