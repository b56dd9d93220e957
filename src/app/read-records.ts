/**
 * Reading an execution's records for checking: one NDJSON export, parsed as it streams, stopped once `max` records
 * are in hand (the rest is never downloaded), so a check costs one request and bounded memory whatever the size.
 */
import { Writable } from 'node:stream';
import type { TaskServiceClient } from '../core/service/types.js';

export interface ReadRecords {
  records: unknown[];
  /** The export held more than `max` records; only the first `max` were read. */
  truncated: boolean;
}

/** Records beyond what a check needs: the sink refuses them, which ends the download. */
class Enough extends Error {}

export async function readRecords(
  client: TaskServiceClient,
  executionId: string,
  max: number,
): Promise<ReadRecords> {
  const records: unknown[] = [];
  let pending = '';
  let truncated = false;
  const take = (line: string): void => {
    if (line.trim() === '') return;
    if (records.length >= max) {
      truncated = true;
      return;
    }
    records.push(JSON.parse(line) as unknown);
  };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      try {
        lines.forEach(take);
      } catch (error) {
        callback(new Error(`the export is not NDJSON: ${(error as Error).message}`));
        return;
      }
      callback(truncated ? new Enough() : null);
    },
    final(callback) {
      try {
        take(pending);
        callback();
      } catch (error) {
        callback(new Error(`the export is not NDJSON: ${(error as Error).message}`));
      }
    },
  });
  try {
    await client.exportResults(executionId, 'ndjson', sink);
  } catch (error) {
    if (!(error instanceof Enough)) throw error;
  }
  return { records, truncated };
}
