/**
 * The drift report (`titan drift`): derived from a plan, rendered as text or JSON. Fields are shown from the
 * manifest's value to the live one — what changed outside titan. Pure.
 *
 * Drift is "live differs from what titan last applied", judged by the lock's digest. The lock keeps no secret, so
 * for a sensitive value (from `${env:…}`) the manifest's real value stands in for the applied one: when the live
 * value differs from it the task is reported under `sensitive` (and counts as drift), since titan cannot tell a
 * change made outside titan from a secret changed in the environment since the last apply.
 */
import { stableStringify, type JsonValue } from '../core/json.js';
import type { Plan, PlannedChange } from '../core/plan/model.js';
import { fieldView, inlineValue, plural, sgrPainter, sourceText } from './plan-shared.js';

export interface DriftedField {
  field: string;
  /** Value in the manifest (absent: not set there). */
  manifest?: JsonValue;
  /** Value on the service (absent: not set there). */
  live?: JsonValue;
  sensitive: boolean;
}

export interface DriftReport {
  /** Managed tasks (lock entries). */
  managed: number;
  drifted: { key: string; id: string; source?: string; fields: DriftedField[] }[];
  vanished: { key: string; id: string; source?: string }[];
  /** Managed tasks (not otherwise drifted) whose sensitive values on the service differ from the manifest's. */
  sensitive: { key: string; id: string; source?: string; paths: string[] }[];
}

/** Is there anything to report (exit 2)? */
export const hasDrift = (report: DriftReport): boolean =>
  report.drifted.length > 0 || report.vanished.length > 0 || report.sensitive.length > 0;

/** `lockIds`: lock key → id, to name the id of a vanished task (a plan's recreate has no id of its own). */
export function driftReportOf(plan: Plan, lockIds: Readonly<Record<string, string>>): DriftReport {
  const report: DriftReport = { managed: plan.managed, drifted: [], vanished: [], sensitive: [] };
  for (const change of plan.changes) {
    const source = sourceText(change);
    if (change.vanished) {
      const id = change.id ?? lockIds[change.from_key ?? change.key] ?? '';
      report.vanished.push(withSource({ key: change.key, id }, source));
    } else if (change.drift && change.id !== undefined) {
      report.drifted.push(
        withSource({ key: change.key, id: change.id, fields: driftedFields(change) }, source),
      );
    } else if (change.id !== undefined && change.action !== 'adopt') {
      const paths = change.fields.flatMap((field) => field.sensitive_changed ?? []);
      if (paths.length > 0)
        report.sensitive.push(withSource({ key: change.key, id: change.id, paths }, source));
    }
  }
  return report;
}

function driftedFields(change: PlannedChange): DriftedField[] {
  return change.fields
    .filter((field) => !field.field.startsWith('metadata.'))
    .map((field) => {
      const out: DriftedField = { field: field.field, sensitive: field.sensitive };
      if (field.after !== undefined) out.manifest = field.after;
      if (field.before !== undefined) out.live = field.before;
      return out;
    });
}

function withSource<T extends object>(item: T, source: string | undefined): T & { source?: string } {
  return source === undefined ? item : { ...item, source };
}

export const renderDriftJson = (report: DriftReport): string => `${stableStringify(report, 2)}\n`;

export function renderDriftText(report: DriftReport, options: { color?: boolean } = {}): string {
  const paint = sgrPainter(options.color === true);
  const lines: string[] = [];
  for (const task of report.drifted) {
    lines.push(
      `${paint('33;1', '~ drifted')} ${paint('1', task.key)} (${task.id})${task.source ? `  ${paint('2', task.source)}` : ''}`,
    );
    if (task.fields.length === 0)
      lines.push('    (the deletion planned for it would lose changes made outside titan)');
    for (const field of task.fields) {
      const asChange = {
        field: field.field,
        before: field.manifest,
        after: field.live,
        sensitive: field.sensitive,
        notes: [],
      };
      const view = fieldView(asChange, { creating: false });
      if (view.kind === 'lines' || view.kind === 'diff') {
        lines.push(`    ${field.field} (manifest -> live)`);
        for (const line of view.lines) lines.push(`      ${line}`);
      } else if (view.kind === 'none') {
        lines.push(`    ${field.field.padEnd(16)}a sensitive value differs (not shown)`);
      } else {
        lines.push(
          `    ${field.field.padEnd(16)}manifest ${inlineValue(field.manifest)} · live ${inlineValue(field.live)}`,
        );
      }
    }
    lines.push('');
  }
  for (const task of report.vanished) {
    lines.push(
      `${paint('31;1', '! vanished')} ${paint('1', task.key)} (${task.id})${task.source ? `  ${paint('2', task.source)}` : ''}`,
    );
    lines.push('    the managed task is gone from the service (deleted outside titan?)', '');
  }
  for (const task of report.sensitive) {
    lines.push(
      `${paint('33;1', '? sensitive')} ${paint('1', task.key)} (${task.id})${task.source ? `  ${paint('2', task.source)}` : ''}`,
    );
    for (const path of task.paths)
      lines.push(`    ${path}: the live value differs from the manifest's (not shown)`);
    lines.push('');
  }
  if (report.managed === 0) {
    lines.push('No drift: titan manages no task here yet (titan.lock is empty or missing).');
  } else if (!hasDrift(report)) {
    lines.push(
      `No drift: ${plural(report.managed, 'managed task')} match${report.managed === 1 ? 'es' : ''} what titan last applied.`,
    );
  } else {
    const parts = [];
    if (report.drifted.length > 0) parts.push(`${report.drifted.length} changed outside titan`);
    if (report.vanished.length > 0) parts.push(`${report.vanished.length} vanished`);
    if (report.sensitive.length > 0) {
      parts.push(`${report.sensitive.length} with sensitive values that differ from the manifest`);
    }
    lines.push(`Drift: ${parts.join(', ')} (of ${plural(report.managed, 'managed task')}).`);
    if (report.sensitive.length > 0) {
      lines.push(
        'titan.lock keeps no secret, so titan cannot tell whether a sensitive value was changed outside titan or in the environment since the last apply.',
      );
    }
    lines.push('Run titan plan to see what titan apply would do to restore the manifests.');
  }
  return `${lines.join('\n')}\n`;
}
