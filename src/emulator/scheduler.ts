/** Runs `scheduled` tasks on their cron (UTC) while the emulator runs: one timer per task, re-armed after each run. */
import { CronExpressionParser } from 'cron-parser';
import type { TaskRecord } from './store.js';

/** setTimeout's ceiling; longer waits re-arm. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly now: () => Date,
    private readonly fire: (task: TaskRecord) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Arms, re-arms or disarms the task's timer after it was created, changed or deleted. */
  sync(task: TaskRecord, notBefore = 0): void {
    this.disarm(task.id);
    if (this.closed) return;
    const schedule = task.spec.schedule;
    if (task.status !== 'active' || task.spec.execution_type !== 'scheduled' || typeof schedule !== 'string')
      return;
    const now = this.now().getTime();
    let due: number;
    try {
      // A timer may fire a little early: never compute the same run twice.
      const from = new Date(Math.max(now, notBefore));
      due = CronExpressionParser.parse(schedule, { tz: 'UTC', currentDate: from }).next().getTime();
    } catch (error) {
      this.onError(error as Error);
      return;
    }
    const delay = Math.max(0, due - now);
    const timer = setTimeout(
      () => {
        this.timers.delete(task.id);
        if (delay <= MAX_DELAY_MS) this.fire(task);
        this.sync(task, delay <= MAX_DELAY_MS ? due : 0);
      },
      Math.min(delay, MAX_DELAY_MS),
    );
    this.timers.set(task.id, timer);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private disarm(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }
}
