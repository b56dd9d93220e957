/**
 * Temporary tasks of `titan test` left on the service by a run that was killed: the journal names them (its
 * records are the proof of ownership — a name prefix alone is not), and the next `titan test` or `apply` deletes
 * them before anything else, saying so. Call it holding the workspace lock.
 */
import { OperationalError } from '../core/errors.js';
import { openTestTasks, type JournalRecord } from '../core/lock/journal.js';
import type { TaskServiceClient } from '../core/service/types.js';
import { journalPath, readJournal } from '../io/journal.js';
import { appendJournalRecords, dropJournalRecords } from '../io/journal.js';

/** The names every temporary task starts with, so a person reading a task list recognises them. */
export const TEST_TASK_PREFIX = 'titan-test';

/** Ids and names of the temporary tasks the journal in `stateDir` says may be on the service (read-only). */
export async function readOpenTestTasks(stateDir: string): Promise<{ ids: Set<string>; names: Set<string> }> {
  const journal = await readJournal(journalPath(stateDir));
  const open = journal === null ? [] : openTestTasks(journal.records);
  return {
    ids: new Set(open.flatMap((task) => (task.id ? [task.id] : []))),
    names: new Set(open.map((task) => task.name)),
  };
}

/** Deletes what an interrupted run left; returns one line per task deleted. Throws when one cannot be deleted. */
export async function deleteTestLeftovers(
  client: TaskServiceClient,
  stateDir: string,
  now: () => Date,
): Promise<string[]> {
  const journal = await readJournal(journalPath(stateDir));
  const open = journal === null ? [] : openTestTasks(journal.records);
  if (open.length === 0) {
    if (journal?.records.some((r) => r.t === 'test')) await dropJournalRecords(stateDir, isTestRecord);
    return [];
  }
  // A create whose answer was lost has no id: find it by its unique name.
  const unnamed = open.filter((task) => task.id === undefined);
  const listed = unnamed.length > 0 ? await client.listAllTasks() : [];
  const notes: string[] = [];
  for (const task of open) {
    const ids = task.id ? [task.id] : listed.filter((live) => live.name === task.name).map((live) => live.id);
    for (const id of ids) {
      try {
        await client.deleteTask(id);
      } catch (error) {
        throw new OperationalError(
          `Cannot delete the temporary task "${task.name}" (${id}) an interrupted titan test left: ${(error as Error).message}`,
          'Nothing else was done. Run the command again once the service answers.',
        );
      }
      notes.push(`"${task.name}" (${id})`);
    }
    const deleted: JournalRecord = { t: 'test', phase: 'deleted', name: task.name, at: now().toISOString() };
    await appendJournalRecords(stateDir, [deleted]);
  }
  await dropJournalRecords(stateDir, isTestRecord);
  return notes;
}

const isTestRecord = (record: JournalRecord): boolean => record.t === 'test';
