/**
 * A 50,000-record export is streamed, not held: the CLI's peak resident memory while exporting stays far below
 * the size of the export. Peak RSS is read by a tiny wrapper around the built CLI
 * (`process.resourceUsage().maxRSS` at exit), so it needs no platform tool. Bounded memory, not timing.
 */
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { runCommand, TITAN_BIN, useTempDirs } from './examples-cli.js';
import {
  describeRun,
  startedExecutionId,
  taskBody,
  useRuntimeWorld,
  type CliResult,
} from './runtime-support.js';

const RECORDS = 50_000;

/**
 * About 4 kB per record, so the export (~200 MB) dwarfs what streaming costs: the CLI's peak grows by a roughly
 * constant ~50 MB while bytes flow (the garbage collector's young generation filling up), whatever the size.
 */
const WIDE_SCHEMA: JsonObject = Object.fromEntries([
  ...Array.from({ length: 24 }, (_, i) => [
    `a_rather_long_descriptive_field_name_for_volume_number_${i}`,
    { type: 'string' },
  ]),
  ['keywords', { type: 'array', minItems: 10, maxItems: 10, items: { type: 'string' } }],
]);

describe('titan results export at scale', () => {
  const world = useRuntimeWorld({ recordsPerUrl: RECORDS });
  const tempDir = useTempDirs();

  it(
    `streams ${RECORDS.toLocaleString('en')} records to a file with bounded memory`,
    { timeout: 120_000 },
    async () => {
      world().addTask('big', taskBody('big', ['https://big.example/all'], WIDE_SCHEMA));
      const run = await world().titan(['run', 'big', '--wait']);
      expect(run.code, describeRun(run)).toBe(0);
      const id = startedExecutionId(run.stdout);

      const wrapperDir = tempDir('titan-rss-');
      const baseline = await titanWithPeakRss(wrapperDir, ['results', id]);
      const exported = await titanWithPeakRss(wrapperDir, [
        'results',
        'export',
        id,
        '--format',
        'ndjson',
        '-o',
        'big.ndjson',
      ]);
      expect(exported.result.code, describeRun(exported.result)).toBe(0);

      const file = path.join(world().dir, 'big.ndjson');
      const size = statSync(file).size;
      expect(await countLines(file)).toBe(RECORDS);
      expect(size).toBeGreaterThan(150_000_000);
      // Holding the export would cost at least its size on top of the baseline; streaming costs a bounded amount.
      const growth = exported.peakRssBytes - baseline.peakRssBytes;
      expect(
        growth,
        `baseline ${mb(baseline.peakRssBytes)}, export ${mb(exported.peakRssBytes)}, file ${mb(size)}`,
      ).toBeLessThan(size / 2);
    },
  );

  /** Runs the built CLI under a wrapper that records `maxRSS` when the process exits. */
  async function titanWithPeakRss(
    wrapperDir: string,
    args: string[],
  ): Promise<{ result: CliResult; peakRssBytes: number }> {
    const wrapper = path.join(wrapperDir, 'peak-rss.mjs');
    const report = path.join(wrapperDir, `rss-${args[1] ?? 'x'}-${Date.now()}.txt`);
    writeFileSync(
      wrapper,
      [
        "import { writeFileSync } from 'node:fs';",
        "process.on('exit', () => writeFileSync(process.env.PEAK_RSS_FILE, String(process.resourceUsage().maxRSS)));",
        `await import(${JSON.stringify(pathToFileURL(TITAN_BIN).href)});`,
      ].join('\n'),
    );
    const result = await runCommand(process.execPath, [wrapper, ...args], world().dir, {
      ...world().env,
      PEAK_RSS_FILE: report,
    });
    return { result, peakRssBytes: Number(readFileSync(report, 'utf8')) * 1024 };
  }
});

async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(file)) {
    for (const byte of chunk as Buffer) if (byte === 0x0a) lines++;
  }
  return lines;
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
