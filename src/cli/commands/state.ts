/** `titan state list|show|rm|mv|merge`: yargs wiring; the work is in app/state.ts. */
import type { Argv, CommandModule, Options } from 'yargs';
import type { StateDeps } from '../../app/state.js';
import { resolveWorkspace } from '../../io/workspace.js';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';
import { lockEnvironmentOf, lockTimeoutOption } from './options.js';
import { stateMergeCommand } from './state-merge.js';

interface StateArgs extends GlobalOptions {
  workspace?: string;
  json: boolean;
  'lock-timeout': number;
}
interface KeyArgs extends StateArgs {
  key: string;
}
interface MoveArgs extends StateArgs {
  from: string;
  to: string;
}

const stateOptions = {
  workspace: {
    type: 'string',
    describe: 'Workspace folder holding titan.lock (default: the working directory)',
  },
  json: { type: 'boolean', default: false, describe: 'Print data as JSON' },
  ...lockTimeoutOption('rm, mv: wait this long for another titan holding the workspace lock'),
} as const satisfies Record<string, Options>;

async function stateDeps(argv: StateArgs, io: ProcessIO): Promise<StateDeps> {
  return {
    workspace: resolveWorkspace([], io.cwd, argv.workspace),
    stdout: io.stdout,
    stderr: io.stderr,
    lockEnvironment: await lockEnvironmentOf(io),
    now: () => new Date(),
    json: argv.json,
    lockTimeoutMs: argv['lock-timeout'],
  };
}

const keyBuilder = (y: Argv<GlobalOptions>) =>
  y
    .positional('key', { type: 'string', demandOption: true, describe: 'A manifest key in titan.lock' })
    .options(stateOptions);

export function stateCommand(io: ProcessIO): TitanCommand {
  const list: CommandModule<GlobalOptions, StateArgs> = {
    command: 'list',
    describe: 'The managed tasks: key, task id, protection, manifest',
    builder: (y) => y.options(stateOptions),
    handler: async (argv) => {
      const { stateList } = await import('../../app/state.js');
      await stateList(await stateDeps(argv, io));
    },
  };
  const show: CommandModule<GlobalOptions, KeyArgs> = {
    command: 'show <key>',
    describe: 'One entry of titan.lock',
    builder: keyBuilder,
    handler: async (argv) => {
      const { stateShow } = await import('../../app/state.js');
      await stateShow(await stateDeps(argv, io), argv.key);
    },
  };
  const rm: CommandModule<GlobalOptions, KeyArgs> = {
    command: 'rm <key>',
    describe: 'Forget a task: drop its entry (the task stays on the service, unmanaged)',
    builder: keyBuilder,
    handler: async (argv) => {
      const { stateRm } = await import('../../app/state.js');
      await stateRm(await stateDeps(argv, io), argv.key);
    },
  };
  const mv: CommandModule<GlobalOptions, MoveArgs> = {
    command: 'mv <from> <to>',
    describe: 'Rename an entry (the task keeps its id)',
    builder: (y) =>
      y
        .positional('from', { type: 'string', demandOption: true, describe: 'The current key' })
        .positional('to', { type: 'string', demandOption: true, describe: 'The new key' })
        .options(stateOptions),
    handler: async (argv) => {
      const { stateMv } = await import('../../app/state.js');
      await stateMv(await stateDeps(argv, io), argv.from, argv.to);
    },
  };
  return {
    command: 'state <command>',
    describe: 'Inspect, repair and merge titan.lock (list, show, rm, mv, merge); never touches the service',
    builder: (yargs: Argv<GlobalOptions>) =>
      yargs
        .command(list)
        .command(show)
        .command(rm)
        .command(mv)
        .command(stateMergeCommand(io))
        .demandCommand(1, 'Name a state command: list, show, rm, mv or merge.'),
    handler: () => undefined,
  };
}
