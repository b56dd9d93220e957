/** The titan test report renderings: the markdown stays within GitHub's comment limit however many tasks. */
import { describe, expect, it } from 'vitest';
import type { TaskTestResult, TestReport } from '../../../src/core/evidence/model.js';
import { renderTestMarkdown, renderTestText, TEST_MARKDOWN_LIMIT } from '../../../src/render/test-report.js';

const failed = (i: number): TaskTestResult => ({
  key: `task-${String(i).padStart(3, '0')}`,
  reason: 'update',
  status: 'failed',
  source: `tasks/t${i}.yaml:1`,
  urls_total: 40,
  urls_tested: 3,
  execution_id: `e-${i}`,
  execution_status: 'completed',
  check: {
    records: 6,
    failing: 6,
    violations: Array.from({ length: 20 }, (_, g) => ({
      path: `$.field_${g}`,
      message: 'must be number (got string)',
      count: 6,
      example: 'x'.repeat(79),
    })),
    more_groups: 3,
  },
  samples: [{ title: 'y'.repeat(79), price: '<b>1</b> | `x`' }],
});

const report = (tasks: TaskTestResult[]): TestReport => ({
  format_version: 1,
  origin: 'https://api.example',
  sample_size: 3,
  budget: null,
  urls: tasks.length * 3,
  tasks,
  summary: { passed: 0, failed: tasks.length, 'no-records': 0, 'execution-failed': 0 },
  notes: [],
});

describe('titan test markdown', () => {
  it('200 failing tasks fit in one comment: every task has its row, details while they fit', () => {
    const tasks = Array.from({ length: 200 }, (_, i) => failed(i));
    const markdown = renderTestMarkdown(report(tasks));
    expect(markdown.length).toBeLessThanOrEqual(TEST_MARKDOWN_LIMIT);
    expect(markdown.length).toBeLessThan(65_536);
    for (const task of tasks) expect(markdown).toContain(`| <code>${task.key}</code> |`);
    expect(markdown).toContain('Some details are not shown');
    expect(markdown).toContain('<details>');
  });

  it('values are text, never markup', () => {
    const task = failed(1);
    task.check!.violations[0]!.path = '$["<img src=x>"]';
    const markdown = renderTestMarkdown(report([task]));
    expect(markdown).not.toContain('<img src=x>');
    // Sample records are shown inside a fence no line of theirs can close.
    expect(markdown).toMatch(/\n(`{3,})json\n[^\n]*<b>1<\/b>[^\n]*\n\1\n/);
    const text = renderTestText(report([failed(1)]));
    expect(text).toContain('FAILED task-001 (update, 3 of 40 URLs)');
    expect(text).toContain('6 of 6 records fail the schema');
  });
});
