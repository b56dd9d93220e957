/**
 * Every command, in the order `titan --help` lists them. A command module holds only yargs wiring and a thin
 * handler that `import()`s its use case, so `titan --version` loads none of them.
 */
import type { ProcessIO } from '../io.js';
import type { TitanCommand } from './types.js';
import { initCommand } from './init.js';
import { validateCommand } from './validate.js';
import { datasetsCommand } from './datasets.js';
import { executionsCommand } from './executions.js';
import { mediaCommand } from './media.js';
import { resultsCommand } from './results.js';
import { runCommand } from './run.js';
import { templatesCommand } from './templates.js';
import { emulatorCommand } from './emulator.js';
import { planCommand } from './plan.js';
import { driftCommand } from './drift.js';
import { applyCommand } from './apply.js';
import { destroyCommand } from './destroy.js';
import { importCommand } from './import.js';
import { stateCommand } from './state.js';
import { forceUnlockCommand } from './force-unlock.js';
import { testCommand } from './test.js';

export function commands(io: ProcessIO): TitanCommand[] {
  const all: ((io: ProcessIO) => TitanCommand)[] = [
    initCommand,
    validateCommand,
    planCommand,
    applyCommand,
    driftCommand,
    destroyCommand,
    importCommand,
    stateCommand,
    forceUnlockCommand,
    testCommand,
    runCommand,
    executionsCommand,
    resultsCommand,
    datasetsCommand,
    mediaCommand,
    templatesCommand,
    emulatorCommand,
  ];
  return all.map((make) => make(io));
}
