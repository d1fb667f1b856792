// Weight arithmetic on the ladders effectiveAnalysis() derives (api/defaults.ts owns every
// default: stepWeight/stepWeights/maxWeight become `weights`, stepWeightPromotion becomes
// `promotionWeights`). Here: where the next rung is, and what the routes are at each moment.

import { TOTAL_WEIGHT, type EffectiveAnalysis } from '../api/defaults.js';
import { PROVIDER_CAPABILITIES, isDavyProvider, type ProviderCapabilities } from '../api/providers.js';
import type { Routes } from './state.js';

const NO_CAPABILITIES: ProviderCapabilities = { weights: false, abMatch: false, mirror: false, sessionAffinity: false };

/** What the canary's router can do; a provider Davy does not route gets nothing (the validator refuses it). */
export const capabilitiesOf = (analysis: EffectiveAnalysis): ProviderCapabilities =>
  isDavyProvider(analysis.provider) ? PROVIDER_CAPABILITIES[analysis.provider] : NO_CAPABILITIES;

const clamp = (w: number): number => Math.min(TOTAL_WEIGHT, Math.max(0, Math.round(w)));

/** Routes with `canary`% on the canary and the rest on primary. */
export const split = (canary: number, mirror = false): Routes => {
  const c = clamp(canary);
  return { primary: TOTAL_WEIGHT - c, canary: c, mirror };
};

/**
 * The next canary weight: the first rung above the current weight, or undefined at the top.
 * (Flagger jumps to 100 when the current weight is not on a stepWeights ladder; Davy takes the
 * next rung, so a ladder is never overshot.)
 */
export function nextWeight(ladder: readonly number[], current: number): number | undefined {
  return ladder.find((w) => w > current);
}

/** The weighted canary reached the top of its ladder (maxWeight): promotion is next. */
export const atMaxWeight = (analysis: EffectiveAnalysis, canary: number): boolean =>
  analysis.weights.length === 0 || canary >= analysis.maxWeight;

/** The next primary weight while promoting, or undefined once primary has everything. */
export function nextPrimaryWeight(ladder: readonly number[], currentPrimary: number): number | undefined {
  if (currentPrimary >= TOTAL_WEIGHT) return undefined;
  return ladder.find((w) => w > currentPrimary) ?? TOTAL_WEIGHT;
}

/** Promotion moves traffic back gradually only for a weighted canary with stepWeightPromotion. */
export const gradualPromotion = (analysis: EffectiveAnalysis): boolean => analysis.strategy === 'canary' && analysis.promotionWeights.length > 1;

/** Whether the canary strategy starts with a mirror-only step (Istio mirroring). */
export const mirrorsFirst = (analysis: EffectiveAnalysis): boolean => analysis.strategy === 'canary' && analysis.mirror && capabilitiesOf(analysis).mirror;

/** Whether blue/green iterations mirror traffic to the canary. */
export const mirrorsIterations = (analysis: EffectiveAnalysis): boolean => analysis.strategy === 'blue-green' && analysis.mirror && capabilitiesOf(analysis).mirror;

/**
 * Routes during an A/B iteration: matched traffic all to the canary. A provider that cannot match
 * keeps everything on primary (Flagger would send all traffic to the canary: §15.8, not reproduced).
 */
export const abRoutes = (analysis: EffectiveAnalysis): Routes =>
  capabilitiesOf(analysis).abMatch ? split(TOTAL_WEIGHT) : split(0);

/** The share of all traffic the canary gets, as `status.canaryWeight` shows it (A/B: only matched traffic, so 0). */
export const statusWeight = (analysis: EffectiveAnalysis, routes: Routes): number => (analysis.strategy === 'ab-testing' ? 0 : routes.canary);
