/**
 * The activities as workflow code sees them: types only. Workflow code (`../workflow`) may import from
 * this file and from no other file of this folder — biome.json's `noRestrictedImports` for the workflow
 * folder says so, and `npm test` runs the linter first — so no activity implementation (and none of the
 * Node modules it loads) can reach the workflow bundle. Nothing here may be a value.
 */
export type { CaseActivities, DeskSettlement } from './case-activities';
export type { DecisionActivities } from './decision-signature';
export type { SaleActivities } from './sale-activities';
