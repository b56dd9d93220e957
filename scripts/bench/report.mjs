/** Targets (issue figures as ratios and counts), the printed tables and the JSON results file. */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { round } from './stats.mjs';

/**
 * Every target the results can be held against. A target whose scenario ran at another size than the one the
 * target names (a `--quick` run) is reported as `n/a` rather than passed or failed.
 */
export function evaluateTargets(results) {
  const targets = [];
  const add = (name, measured, limit, pass, note) =>
    targets.push({
      name,
      measured,
      limit,
      pass: pass === undefined ? 'n/a' : pass ? 'pass' : 'FAIL',
      ...(note ? { note } : {}),
    });

  const startup = results.startup ?? [];
  const node = startup.find((row) => row.name === 'node -e 0');
  const version = startup.find((row) => row.name === 'titan --version');
  if (node && version) {
    const delta = round(version.wallMs - node.wallMs, 1);
    add('titan --version over node -e 0', `${delta} ms`, '≤ 60 ms', delta <= 60);
  }

  const plans = results.plan ?? [];
  if (plans.length > 0) {
    const largest = Math.max(...plans.map((row) => row.tasks));
    const page = Math.max(...plans.map((row) => row.page));
    const atSize = largest === 10_000;
    const find = (listItems, changed) =>
      plans.find(
        (row) =>
          row.tasks === largest &&
          row.page === page &&
          row.latency === 0 &&
          row.listItems === listItems &&
          (changed === 'none') === (row.changed === 'none'),
      );
    for (const listItems of ['full', 'summary']) {
      const row = find(listItems, 'none');
      if (!row) continue;
      const label = `plan ${largest} no changes, page ${page}, latency 0, ${listItems}`;
      add(`${label}: wall`, `${row.wallMs} ms`, '≤ 3000 ms', atSize ? row.wallMs <= 3000 : undefined);
      const limit = planRequestLimit(row);
      add(`${label}: requests`, row.requests, `≤ ${limit}`, row.requests <= limit);
      add(`${label}: peak RSS`, `${row.rssMb} MB`, '≤ 300 MB', atSize ? row.rssMb <= 300 : undefined);
    }
    const summary = find('summary', 'some');
    if (summary) {
      const limit = planRequestLimit(summary);
      add(
        `plan ${largest} ${summary.changed} changed, page ${page}, latency 0, summary: requests`,
        summary.requests,
        `≤ ${limit}`,
        summary.requests <= limit,
      );
    }
    const overLimit = plans.filter((row) => row.requests > planRequestLimit(row));
    add(
      'every plan scenario: requests ≤ ⌈N/page⌉ + 2 (+ 1 read per changed task with summaries)',
      `${plans.length - overLimit.length}/${plans.length} within`,
      'all',
      overLimit.length === 0,
      overLimit.length > 0 ? `over: ${abbreviate(overLimit.map((row) => row.name))}` : undefined,
    );
  }

  for (const [suite, rows, select] of [
    ['validate', results.validate ?? [], () => true],
    [
      'plan (page max, latency 0, full, no changes)',
      plans,
      (row) => row.latency === 0 && row.listItems === 'full' && row.changed === 'none',
    ],
    [
      'plan (page max, latency 0, summary, 1% changed)',
      plans,
      (row) => row.latency === 0 && row.listItems === 'summary' && row.changed !== 'none',
    ],
  ]) {
    const page = Math.max(...rows.map((row) => row.page ?? 0));
    const chosen = rows.filter((row) => select(row) && (row.page ?? 0) === page);
    if (chosen.length < 2) continue;
    const small = chosen.reduce((a, b) => (a.tasks <= b.tasks ? a : b));
    const large = chosen.reduce((a, b) => (a.tasks >= b.tasks ? a : b));
    const wall = round(large.wallMs / small.wallMs, 2);
    // CPU time when measured: on a shared machine the wall time of either run can be inflated by other work.
    const cpu = large.cpuMs && small.cpuMs ? round(large.cpuMs / small.cpuMs, 2) : undefined;
    const ratio = cpu ?? wall;
    add(
      `scaling t(${large.tasks}) / t(${small.tasks}), ${suite}`,
      cpu === undefined ? `wall ${wall}` : `cpu ${cpu} (wall ${wall})`,
      '≤ 12',
      large.tasks / small.tasks === 10 ? ratio <= 12 : undefined,
    );
  }

  for (const row of results.apply ?? []) {
    if (row.parallelism !== 8) continue;
    const atSize = row.creates === 500 && row.latency === 20;
    add(
      `apply ${row.creates} creates, parallelism 8, latency ${row.latency}: wall / floor`,
      row.overFloor,
      '≤ 1.5',
      atSize ? row.overFloor <= 1.5 : undefined,
    );
  }
  for (const row of results.rate ?? []) {
    add(
      `apply ${row.creates} creates at ${row.rpm}/min: share of allowed throughput (writes only: ${row.writesShare ?? '-'})`,
      row.throughputShare,
      '≥ 0.9',
      // Start-up weighs more against a shorter floor: judged at the size the target names only.
      row.throughputShare === undefined || row.rpm !== 120 || row.creates !== 60
        ? undefined
        : row.throughputShare >= 0.9,
    );
    add(
      `apply ${row.creates} creates at ${row.rpm}/min: failed changes`,
      row.failedChanges,
      '0',
      row.failedChanges === 0 && row.ok,
    );
    add(
      `apply ${row.creates} creates at ${row.rpm}/min: 429s / requests`,
      `${row.rateLimited}/${row.requests}`,
      '≤ 1 %',
      row.rateLimitedShare <= 0.01,
    );
  }

  evaluateComparisons(results, add);

  const all = [...(results.validate ?? []), ...plans, ...(results.apply ?? []), ...(results.rate ?? [])];
  const wrong = all.filter((row) => !row.ok);
  add(
    'every titan run exited as expected (validate 0, plan 0 / 2 with changes, apply 0)',
    `${all.length - wrong.length}/${all.length}`,
    'all',
    wrong.length === 0,
    wrong.length > 0 ? abbreviate(wrong.map((row) => `${row.name}: exit ${row.exits.join(',')}`)) : undefined,
  );
  return targets;
}

/** The side-by-side targets (scripts/bench/compare.mjs): each a ratio, judged at the size it names. */
function evaluateComparisons(results, add) {
  for (const row of results.warm ?? []) {
    add(
      `warm ${row.command} ${row.tasks} (1 file changed) / cold: wall`,
      `${row.ratio} (${row.warm.wallMs} / ${row.cold.wallMs} ms)`,
      '≤ 0.10',
      row.tasks === 10_000 ? row.ratio <= 0.1 && row.warm.ok && row.cold.ok : undefined,
    );
  }
  for (const row of results.baseline ?? []) {
    add(
      `cold ${row.command} ${row.tasks}: cpu / baseline's`,
      `${row.cpuRatio} (${row.current.cpuMs} / ${row.base.cpuMs} ms)`,
      '≤ 0.70',
      row.tasks === 10_000 ? row.cpuRatio <= 0.7 && row.current.ok : undefined,
    );
  }
  for (const row of results.bare ?? []) {
    const atSize = row.creates === 500 && row.parallelism === 8 && row.latency === 20;
    add(
      `apply ${row.creates} creates p${row.parallelism} latency ${row.latency}: wall / bare client's`,
      `${row.ratio} (${row.titanMs} / ${row.bareMs} ms)`,
      '≤ 1.3',
      atSize ? row.ratio <= 1.3 && row.ok : undefined,
    );
    add(
      `apply ${row.creates} creates: time to first write`,
      `${row.firstWriteMs} ms`,
      '≤ 600 ms',
      atSize ? row.firstWriteMs <= 600 : undefined,
    );
  }
  for (const row of results.scale ?? []) {
    const atSize = row.small === 10_000 && row.large === 30_000;
    add(
      `${row.command} ${row.large} / ${row.small}: time`,
      `${row.timeRatio}${row.cpuRatio === undefined ? '' : ` (cpu ${row.cpuRatio})`}`,
      '≤ 3.5',
      atSize ? row.timeRatio <= 3.5 && row.ok : undefined,
    );
    if (row.command === 'apply')
      add(
        `apply ${row.large} / ${row.small}: peak RSS`,
        row.rssRatio,
        '≤ 2',
        atSize ? row.rssRatio <= 2 : undefined,
      );
  }
}

const abbreviate = (names, most = 4) =>
  names.length <= most
    ? names.join('; ')
    : `${names.slice(0, most).join('; ')}; and ${names.length - most} more`;

/** ⌈N/page⌉ + 2 list requests, plus one full read per changed task when the list returns summaries. */
export const planRequestLimit = (row) =>
  Math.ceil(row.tasks / row.page) + 2 + (row.listItems === 'summary' ? row.changes : 0);

/** The human-readable report. */
export function renderReport(results, targets, file) {
  const out = [];
  const section = (title, headers, rows) => {
    if (rows.length === 0) return;
    out.push('', title, table(headers, rows));
  };
  section(
    'Start-up (median)',
    ['command', 'runs', 'wall ms'],
    (results.startup ?? []).map((row) => [row.name, row.runs, row.wallMs]),
  );
  section(
    'validate (median)',
    ['tasks', 'files', 'YAML MB', 'runs', 'wall ms', 'cpu ms', 'peak RSS MB', 'exit'],
    (results.validate ?? []).map((row) => [
      row.tasks,
      row.files,
      row.manifestMb,
      row.runs,
      row.wallMs,
      row.cpuMs,
      row.rssMb,
      exitCell(row),
    ]),
  );
  section(
    'plan (median; requests of the median run)',
    [
      'tasks',
      'changed',
      'page',
      'latency',
      'items',
      'runs',
      'wall ms',
      'cpu ms',
      'requests',
      'limit',
      'full reads',
      'peak RSS MB',
      'exit',
    ],
    (results.plan ?? []).map((row) => [
      row.tasks,
      row.changed === 'none' ? 'none' : `${row.changes} (${row.changed})`,
      row.page,
      row.latency,
      row.listItems,
      row.runs,
      row.wallMs,
      row.cpuMs,
      row.requests,
      `${planRequestLimit(row)}${row.requests > planRequestLimit(row) ? ' FAIL' : ''}`,
      row.fullReads,
      row.rssMb,
      exitCell(row),
    ]),
  );
  section(
    'apply (median)',
    [
      'creates',
      'parallelism',
      'latency',
      'runs',
      'wall ms',
      'cpu ms',
      'floor ms',
      'wall/floor',
      'requests',
      '429s',
      'live tasks',
      'peak RSS MB',
      'exit',
    ],
    (results.apply ?? []).map((row) => [
      row.creates,
      row.parallelism,
      row.latency,
      row.runs,
      row.wallMs,
      row.cpuMs,
      row.floorMs,
      row.overFloor,
      row.requests,
      row.rateLimited,
      row.liveTasks.join(','),
      row.rssMb,
      exitCell(row),
    ]),
  );
  section(
    'apply under a rate limit',
    [
      'creates',
      'rpm',
      'burst',
      'wall ms',
      'floor ms',
      'share of allowed',
      'writes only',
      'requests',
      '429s',
      'failed',
      'exit',
    ],
    (results.rate ?? []).map((row) => [
      row.creates,
      row.rpm,
      row.burst,
      row.wallMs,
      row.floorMs,
      row.throughputShare,
      row.writesShare,
      row.requests,
      row.rateLimited,
      row.failedChanges,
      exitCell(row),
    ]),
  );
  section(
    'Targets',
    ['target', 'measured', 'limit', 'result'],
    targets.map((target) => [target.name, target.measured, target.limit, target.pass]),
  );
  for (const target of targets.filter((t) => t.note)) out.push(`  ${target.name}: ${target.note}`);
  out.push('', `Results written to ${file}`);
  return `${out.join('\n')}\n`;
}

const exitCell = (row) => `${row.exit}${row.ok ? '' : ` (expected ${row.expectedExit})`}`;

function table(headers, rows) {
  const cells = [headers, ...rows.map((row) => row.map((cell) => (cell === undefined ? '-' : String(cell))))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  const line = (row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ');
  return [
    line(cells[0]),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

/** Writes the JSON results and returns its path. */
export async function writeResults(file, results, targets, meta) {
  await mkdir(path.dirname(file), { recursive: true });
  const body = {
    ...meta,
    machine: {
      platform: process.platform,
      arch: process.arch,
      node: process.version,
      cpus: os.cpus().length,
    },
    results,
    targets,
  };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
