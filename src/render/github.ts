/**
 * GitHub Actions workflow commands (`::warning file=…,line=…,title=…::message`): their escaping, and the plan's
 * annotations — destructive and breaking changes as warnings on the manifest lines that cause them. Pure.
 */
import { breakingReasons } from '../core/plan/fields.js';
import { isDestructive, type Plan, type PlannedChange } from '../core/plan/model.js';

/** A workflow command's message. */
export const escapeData = (text: string): string =>
  text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** A workflow command's property value (file, title). */
export const escapeProperty = (text: string): string =>
  escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** `::warning` commands for the plan's destructive and breaking changes. */
export function renderPlanAnnotations(plan: Plan): string[] {
  const lines: string[] = [];
  for (const change of plan.changes) {
    if (isDestructive(change)) {
      const what = change.action === 'replace' ? 'replaces (deletes, then creates)' : 'deletes';
      lines.push(
        `::warning ${annotationPlace(change, change.source?.line)}title=${escapeProperty(`titan plan ${what} ${change.key}`)}::${escapeData(
          `titan plan ${what} task ${change.key} (${change.id ?? ''})${change.protect ? ' — it is protected: the plan is refused' : ''}.`,
        )}`,
      );
    }
    // One warning per breaking field, on the line that writes it (the document's start when unknown).
    for (const field of change.fields.filter((f) => f.compatibility === 'breaking')) {
      lines.push(
        `::warning ${annotationPlace(change, field.line ?? change.source?.line)}title=${escapeProperty(`Breaking output_schema change in ${change.key}`)}::${escapeData(breakingReasons(field).join('; '))}`,
      );
    }
  }
  return lines;
}

const annotationPlace = (change: PlannedChange, line: number | undefined): string =>
  change.source ? `file=${escapeProperty(change.source.file)}${line ? `,line=${line}` : ''},` : '';
