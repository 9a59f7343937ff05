/**
 * How long a case waits for a person at each decision, and when it reminds and escalates. Every wait
 * has three times, measured from the moment the wait began: a reminder to the role that decides, an
 * escalation to the next role up, and a final deadline after which the case goes to its safe state.
 * The policy below is the default; a case may override any stage in its registration
 * (`deadlines.waits`). Pure (zod only): the workflow and the control API read the same rules.
 */
import { z } from 'zod';
import { DAY_MS, DEFAULT_WAIT_POLICY, HOUR_MS } from './case-policy';
import { DecisionStage, type WaitStage } from './decision';

const UNIT_MS = { m: 60_000, h: HOUR_MS, d: DAY_MS } as const;

/** A duration as people write it: "30m", "36h", "5d" (whole numbers; days are 24 hours of workflow time). */
export const WaitDuration = z.string().regex(/^[1-9][0-9]{0,4}[mhd]$/, {
  message: 'must be a whole number of minutes, hours or days, e.g. "30m", "36h", "5d"',
});
export type WaitDuration = z.infer<typeof WaitDuration>;

export function durationMs(d: WaitDuration): number {
  const unit = d.slice(-1) as keyof typeof UNIT_MS;
  return Number(d.slice(0, -1)) * UNIT_MS[unit];
}

export const WaitTimes = z.object({
  remindAfter: WaitDuration,
  escalateAfter: WaitDuration,
  deadline: WaitDuration,
});
export type WaitTimes = z.infer<typeof WaitTimes>;

/** A case's overrides, per stage; each given time is checked against the others after the defaults are applied. */
export const WaitOverrides = z.partialRecord(DecisionStage, WaitTimes.partial());
export type WaitOverrides = z.infer<typeof WaitOverrides>;

export interface ResolvedWait {
  remindMs: number;
  escalateMs: number;
  deadlineMs: number;
}

/**
 * The times for one wait: the case's override, else `decisionDays` as the deadline (the older,
 * all-stages setting), else the policy. Reminder and escalation never fall after the deadline: a
 * short deadline pulls them in, so every wait reminds before it escalates and escalates before it ends.
 */
export function resolveWait(
  stage: WaitStage,
  overrides: WaitOverrides | undefined,
  decisionDays: number | undefined,
): ResolvedWait {
  // The default policy's numbers, with every other of the process, are in case-policy.ts; the FX
  // declaration also runs its own working-day deadline (case-fx.ts).
  const policy = DEFAULT_WAIT_POLICY[stage];
  const own = overrides?.[stage] ?? {};
  const deadlineMs = own.deadline
    ? durationMs(own.deadline)
    : decisionDays !== undefined
      ? decisionDays * UNIT_MS.d
      : durationMs(policy.deadline);
  const escalateMs = Math.min(durationMs(own.escalateAfter ?? policy.escalateAfter), deadlineMs);
  const remindMs = Math.min(durationMs(own.remindAfter ?? policy.remindAfter), escalateMs);
  return { remindMs, escalateMs, deadlineMs };
}
