/**
 * `titan drift`: read-only report of managed tasks changed outside titan (their live spec differs from what titan
 * last applied, and from the manifest), gone from the service, or whose sensitive values differ from the manifest's
 * (the lock keeps no secret to compare with; see render/drift.ts). Exit 2 when there is any, 0 otherwise. It reads
 * exactly what `titan plan` reads and never writes anything.
 */
import type { Writable } from 'node:stream';
import { ExitCode, ExitWith } from '../core/errors.js';
import {
  driftReportOf,
  hasDrift,
  renderDriftJson,
  renderDriftText,
  type DriftReport,
} from '../render/drift.js';
import {
  preparePlan,
  warnAboutPendingJournal,
  withDiagnostics,
  type PlanDeps,
  type PlanRequest,
} from './plan.js';

export interface DriftOptions extends Pick<PlanRequest, 'paths' | 'allowForeignOrigin'> {
  format: 'text' | 'json';
}

export interface DriftOutput {
  stdout: Writable;
  stderr: Writable;
  color: boolean;
  stderrColor: boolean;
}

export async function runDrift(
  deps: PlanDeps,
  options: DriftOptions,
  output: DriftOutput,
): Promise<DriftReport> {
  // Guards concern deletions a plan would make; drift only reads, so they do not apply here.
  const prepared = await withDiagnostics(preparePlan(deps, { ...options, keepRefusals: true }), deps, output);
  await warnAboutPendingJournal(deps.workspace, output);
  const lockIds = Object.fromEntries(
    Object.entries(prepared.lock?.tasks ?? {}).map(([key, entry]) => [key, entry.id]),
  );
  const report = driftReportOf(prepared.plan, lockIds);
  output.stdout.write(
    options.format === 'json' ? renderDriftJson(report) : renderDriftText(report, { color: output.color }),
  );
  if (hasDrift(report)) throw new ExitWith(ExitCode.changes);
  return report;
}
