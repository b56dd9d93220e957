/**
 * The evidence a plan carries beyond its diff, as text pieces the plan renderings place: what a delete or replace
 * throws away (`impact`) and how recent records fare against a changed `output_schema` (`history`). Pure.
 */
import type { DeleteImpact, HistoryCheck, ViolationGroup } from '../core/evidence/model.js';
import { failingText } from '../core/evidence/violations.js';
import type { PlannedChange } from '../core/plan/model.js';
import { inlineValue, plural } from './plan-shared.js';

/** `[label, text]` rows of what deleting the live task loses; none when it was not read. */
export function impactRows(impact: DeleteImpact | undefined): [string, string][] {
  if (impact === undefined) return [];
  if (impact.error !== undefined) return [['executions', 'unknown (the read failed)']];
  const count = impact.executions_at_least ? `${impact.executions} or more` : String(impact.executions);
  const rows: [string, string][] = [['executions', count]];
  rows.push([
    'last run',
    impact.last_run_at === null
      ? 'never'
      : `${impact.last_run_at}${impact.last_run_status ? ` (${impact.last_run_status.replace(/_/g, ' ')})` : ''}`,
  ]);
  if (impact.schedule_active) rows.push(['schedule', 'active: deleting the task stops its scheduled runs']);
  return rows;
}

/** One line: `42 executions, last run 2026-11-20T10:00:00Z, schedule active`. */
export function impactSummary(impact: DeleteImpact | undefined): string | undefined {
  if (impact === undefined) return undefined;
  if (impact.error !== undefined) return 'executions unknown (the read failed)';
  const count = `${impact.executions_at_least ? `${impact.executions}+` : impact.executions} execution${impact.executions === 1 ? '' : 's'}`;
  const parts = [count, impact.last_run_at === null ? 'never ran' : `last run ${impact.last_run_at}`];
  if (impact.schedule_active) parts.push('schedule active');
  return parts.join(', ');
}

/** The headline of a history check: `37 of 100 recent records (3 executions) would fail the new schema`. */
export function historySummary(history: HistoryCheck): string {
  const { check } = history;
  const from = `${plural(history.executions_read, 'execution')}${history.truncated ? ', first records of each' : ''}`;
  if (history.executions_read === 0) {
    return history.errors.length > 0
      ? 'recent records could not be checked against the new schema'
      : 'no completed execution to check the new schema against';
  }
  if (check.records === 0)
    return `the last ${plural(history.executions_read, 'completed execution')} had no records`;
  if (check.failing === 0) {
    return `all ${plural(check.records, 'recent record')} (${from}) pass the new schema`;
  }
  return `${failingText(check)} from the last ${from} would fail the new schema`;
}

/** `$.price must be number (got string) ×37, e.g. "12.5"` */
export function violationText(group: ViolationGroup): string {
  const example = group.example === undefined ? '' : `, e.g. ${inlineValue(group.example)}`;
  return `${group.path} ${group.message} ×${group.count}${example}`;
}

/** Warnings the evidence adds to a change: failed reads, said once each. */
export function evidenceWarnings(change: PlannedChange): string[] {
  const out: string[] = [];
  if (change.impact?.error !== undefined)
    out.push(`what deleting it throws away is unknown: ${change.impact.error}`);
  for (const error of change.history?.errors ?? []) out.push(`history check: ${error}`);
  return out;
}
