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
export const CaseAgencyKey = defineSearchAttributeKey('CaseAgency', 'KEYWORD');
export const CaseStageKey = defineSearchAttributeKey('CaseStage', 'KEYWORD');
export const CaseStatusKey = defineSearchAttributeKey('CaseStatus', 'KEYWORD');

/** Every custom search attribute the case workflow uses, for registering with a server. */
export const SEARCH_ATTRIBUTE_KEYS = [CaseIdKey, CaseAgencyKey, CaseStageKey, CaseStatusKey];
export const SEARCH_ATTRIBUTES: Record<string, SearchAttributeType> = Object.fromEntries(
  SEARCH_ATTRIBUTE_KEYS.map((k) => [k.name, k.type]),
);
