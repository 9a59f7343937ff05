/**
 * Names both sides of the case workflow agree on: the task queue, the message definitions (Update,
 * signal, query) and the search attributes. Imported by the workflow and by the control API.
 */
import { defineSearchAttributeKey, type SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CaseProgress, CaseStage, CaseStatus } from './case-state';
import type { Decision } from './decision';

export const TASK_QUEUE = 'vcdc-cases';

/** What the `decide` Update answers once the decision is accepted. */
export interface DecisionAccepted {
  decision: Decision;
  /** Where the decision moves the case. */
  movesTo: { stage: CaseStage; status: CaseStatus };
  /** For a stage that needs a quorum: approvals so far and how many are needed. */
  approvals?: { given: number; required: number };
}

/** A supervisor's / officer's decision, validated before it is written to history. */
export const decide = defineUpdate<DecisionAccepted, [Decision]>('decide');
/** The same decision as a signal (no answer; a refused one is recorded in the status). */
export const decision = defineSignal<[Decision]>('decision');
/** The full progress of the case. */
export const status = defineQuery<CaseProgress>('status');

export const CaseIdKey = defineSearchAttributeKey('CaseId', 'KEYWORD');
export const CaseAgencyKey = defineSearchAttributeKey('Agency', 'KEYWORD');
export const CaseStageKey = defineSearchAttributeKey('CaseStage', 'KEYWORD');
export const CaseStatusKey = defineSearchAttributeKey('CaseStatus', 'KEYWORD');
/** The assets of the case's lots, e.g. ["BTC","USDT"]: `AssetSymbols = 'BTC'` finds every case holding BTC. */
export const AssetSymbolsKey = defineSearchAttributeKey('AssetSymbols', 'KEYWORD_LIST');
/** The decision the case waits for (a DecisionStage); absent while it waits for none. */
export const PendingDecisionKey = defineSearchAttributeKey('PendingDecision', 'KEYWORD');
/** The role that takes the pending decision (e.g. supervisor). */
export const PendingRoleKey = defineSearchAttributeKey('PendingRole', 'KEYWORD');
/** Since when the case waits for the pending decision: "waiting for more than a day" is `PendingSince < <now - 1 day>`. */
export const PendingSinceKey = defineSearchAttributeKey('PendingSince', 'DATETIME');
/** The case's value in USD as far as known: the fiat proceeds once sold. */
export const ValueUsdKey = defineSearchAttributeKey('ValueUsd', 'DOUBLE');

/** Every custom search attribute the case workflow uses, for registering with a server. */
export const SEARCH_ATTRIBUTE_KEYS = [
  CaseIdKey,
  CaseAgencyKey,
  CaseStageKey,
  CaseStatusKey,
  AssetSymbolsKey,
  PendingDecisionKey,
  PendingRoleKey,
  PendingSinceKey,
  ValueUsdKey,
];
export const SEARCH_ATTRIBUTES: Record<string, SearchAttributeType> = Object.fromEntries(
  SEARCH_ATTRIBUTE_KEYS.map((k) => [k.name, k.type]),
);
