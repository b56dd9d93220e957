/**
 * The report of `titan test`: text for terminals, markdown for the pull-request comment (within GitHub's size
 * limit whatever the number of tasks: one table row per task always, details while they fit), JSON for programs.
 * Every value from a manifest or the service goes through the markdown escaping helpers. Pure.
 */
import type { TaskTestResult, TestReport, TestStatus } from '../core/evidence/model.js';
import { failingText } from '../core/evidence/violations.js';
import { stableStringify } from '../core/json.js';
import { markdownCode, markdownFence, markdownText } from './markdown-escape.js';
import { violationText } from './plan-evidence.js';
import { inlineValue, plural, sgrPainter } from './plan-shared.js';

/** Hidden first line of the markdown report, for workflows that update their own comment. */
export const TEST_MARKER = '<!-- titan-test -->';
export const TEST_MARKDOWN_LIMIT = 65_000;

const STATUS_WORD: Record<TestStatus, string> = {
  passed: 'passed',
  failed: 'FAILED',
  'no-records': 'no records',
  'execution-failed': 'execution failed',
};

export const renderTestJson = (report: TestReport): string => `${stableStringify(report, 2)}\n`;

export function summaryLine(report: TestReport): string {
  if (report.tasks.length === 0) return 'Nothing to test: the plan creates, updates or replaces no task.';
  const parts = (Object.keys(STATUS_WORD) as TestStatus[])
    .filter((status) => report.summary[status] > 0)
    .map((status) => `${report.summary[status]} ${STATUS_WORD[status].toLowerCase()}`);
  return `Tested ${plural(report.tasks.length, 'task')} on ${plural(report.urls, 'URL')}: ${parts.join(', ')}`;
}

/** What one task's outcome says in a line: `8 of 10 records fail the schema`. */
function outcomeText(result: TaskTestResult): string {
  if (result.status === 'execution-failed') return result.error ?? 'the execution failed';
  if (result.status === 'no-records') return `no records from ${plural(result.urls_tested, 'URL')}`;
  if (result.unchecked)
    return `${plural(result.samples.length, 'record')} shown; no output_schema to check them against`;
  const check = result.check;
  if (check === undefined) return '';
  return check.failing === 0
    ? `all ${plural(check.records, 'record')} pass the schema`
    : `${failingText(check)} fail the schema`;
}

export function renderTestText(report: TestReport, options: { color?: boolean } = {}): string {
  const paint = sgrPainter(options.color === true);
  const out: string[] = [];
  for (const result of report.tasks) {
    const color = result.status === 'passed' ? '32' : '31';
    out.push(
      `${paint(`${color};1`, STATUS_WORD[result.status])} ${paint('1', result.key)} (${result.reason}, ${result.urls_tested} of ${plural(result.urls_total, 'URL')})  ${paint('2', result.source ?? '')}`.trimEnd(),
    );
    out.push(`    ${outcomeText(result)}`);
    for (const group of result.check?.violations ?? []) out.push(`      ${violationText(group)}`);
    if ((result.check?.more_groups ?? 0) > 0)
      out.push(`      … ${result.check?.more_groups} more kinds of violation`);
    for (const sample of result.samples) out.push(`    sample: ${inlineValue(sample)}`);
    if (result.execution_id)
      out.push(`    ${paint('2', `execution ${result.execution_id} (${result.execution_status})`)}`);
    out.push('');
  }
  out.push(...report.notes, paint('1', summaryLine(report)));
  return `${out.join('\n')}\n`;
}

export function renderTestMarkdown(report: TestReport, options: { limit?: number } = {}): string {
  const limit = options.limit ?? TEST_MARKDOWN_LIMIT;
  const head = [TEST_MARKER, '### titan test', '', `**${markdownText(summaryLine(report))}**`, ''];
  for (const note of report.notes) head.push(`- ${markdownText(note)}`);
  if (report.tasks.length > 0) head.push('', '| task | result | URLs | outcome |', '|---|---|---|---|');
  for (const result of report.tasks) {
    const icon = result.status === 'passed' ? '✅' : '❌';
    head.push(
      `| ${markdownCode(result.key)} | ${icon} ${markdownText(STATUS_WORD[result.status])} | ${result.urls_tested} of ${result.urls_total} | ${markdownText(cut(outcomeText(result), 120))} |`,
    );
  }
  let text = `${head.join('\n')}\n`;
  const notice =
    '\n> [!NOTE]\n> Some details are not shown: a comment is limited in size. Run `titan test` for all of them.\n';
  let omitted = 0;
  for (const result of [...report.tasks].sort(
    (a, b) => Number(a.status === 'passed') - Number(b.status === 'passed'),
  )) {
    const block = detailsBlock(result);
    if (text.length + block.length + notice.length > limit) {
      omitted++;
      continue;
    }
    text += block;
  }
  return omitted > 0 ? `${text}${notice}` : text;
}

function detailsBlock(result: TaskTestResult): string {
  const lines = [
    `<details><summary>${markdownCode(result.key)} · ${markdownText(STATUS_WORD[result.status])}</summary>`,
    '',
  ];
  if (result.check !== undefined && result.check.violations.length > 0) {
    lines.push('| where | problem | records | example |', '|---|---|---|---|');
    for (const group of result.check.violations) {
      const example = group.example === undefined ? '' : markdownCode(inlineValue(group.example));
      lines.push(
        `| ${markdownCode(group.path)} | ${markdownText(group.message)} | ${group.count} | ${example} |`,
      );
    }
    lines.push('');
  }
  if (result.error !== undefined) lines.push(markdownText(result.error), '');
  if (result.samples.length > 0) {
    lines.push(
      'Sample records:',
      '',
      ...markdownFence(result.samples.map((s) => JSON.stringify(s)).join('\n'), 'json'),
      '',
    );
  }
  if (result.execution_id)
    lines.push(
      `Execution ${markdownCode(result.execution_id)} (${markdownText(result.execution_status ?? '')})`,
      '',
    );
  lines.push('</details>', '');
  return lines.join('\n');
}

const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
