/** `titan emulator`: a local Task Service for trying titan and testing integrations. */
import type { Argv } from 'yargs';
import type { EmulatorFlags } from '../../emulator/serve.js';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';

const number = (describe: string) => ({ type: 'string' as const, describe });

export function emulatorCommand(io: ProcessIO): TitanCommand {
  return {
    command: 'emulator',
    describe: 'Start the local Task Service emulator (prints its URL; Ctrl-C stops it)',
    builder: (yargs: Argv<GlobalOptions>) =>
      yargs.options({
        host: { type: 'string', default: '127.0.0.1', describe: 'Interface to listen on' },
        port: number('Port (0 picks a free one) [default: 4010]'),
        'data-dir': {
          type: 'string',
          describe: 'Keep tasks, executions and media in this folder',
        },
        token: {
          type: 'string',
          array: true,
          describe:
            'Accepted token, TOKEN or TOKEN:scope,scope (repeatable); default: a made-up token with every scope',
        },
        'list-shape': {
          type: 'string',
          describe: 'List data as an array (default) or {items,total}: array|object',
        },
        'list-items': {
          type: 'string',
          describe: 'List items: full (default) or summary',
        },
        'list-meta': {
          type: 'string',
          describe:
            'Paging metadata of lists: pagination (default), total (total + has_more), has-more (has_more only) or none',
        },
        'list-deleted': { type: 'boolean', describe: 'List soft-deleted tasks too' },
        'max-page-size': number('Largest page a list returns (default 100)'),
        'update-method': {
          type: 'string',
          describe: 'Accepted update verb: patch|put|both (default both)',
        },
        'refused-update-status': {
          type: 'string',
          describe: 'Answer to the update verb --update-method leaves out: 405|501|404 (default 405)',
        },
        'disable-feature': {
          type: 'string',
          array: true,
          describe:
            'Switch a capability off; its routes (or tasks using it) answer 404: execution-plans|datasets|media (repeatable)',
        },
        'create-status': {
          type: 'string',
          describe: 'Status answering a create (task, run, execution): 200|201|202 (default 201)',
        },
        'allow-unknown-fields': {
          type: 'boolean',
          describe: 'Ignore unknown task fields instead of answering 400',
        },
        'rate-limit': number('Requests per minute per token (default 0 = off)'),
        'retry-after': { type: 'boolean', describe: 'Send Retry-After on 429 answers' },
        latency: number('Added latency per request, ms'),
        'fault-rate': number('Share of requests answered 500/502/503, 0..1'),
        'throttle-rate': number('Share of requests answered 429, 0..1'),
        'drop-after-commit': number('Share of writes committed and then dropped without an answer, 0..1'),
        'hang-rate': number('Share of requests never answered, 0..1'),
        'late-commit': number(
          'Carry out task creates this many ms after they arrive, even if the client has gone (default 0)',
        ),
        'queue-delay': number('Time an execution stays queued, ms (default 200)'),
        'url-duration': number('Worker time per URL, ms (default 300)'),
        'records-per-url': number('Records each successful URL yields (default 2)'),
        violations: number(
          'Share of records that violate their output_schema on purpose (wrong type, missing required, extra property), 0..1',
        ),
        'preview-quota': number('Template previews per token per day (default 20)'),
        templates: {
          type: 'string',
          describe:
            'JSON file with an array of templates ({slug, name, action_type, description?, id?, defaults?}) added to the built-ins',
        },
        'edit-during-list': number(
          'The first N task-list reads that go past page one see a task created by someone else before their next page (default 0)',
        ),
        scheduler: {
          type: 'boolean',
          default: true,
          describe: 'Run scheduled tasks on their cron (--no-scheduler: off)',
        },
        quiet: { type: 'boolean', describe: 'Do not log requests to stderr' },
      }),
    handler: async (argv) => {
      const { serveEmulator } = await import('../../emulator/serve.js');
      await serveEmulator(argv as EmulatorFlags, {
        stdout: io.stdout,
        stderr: io.stderr,
        stopRequested: stopSignal(),
      });
    },
  };
}

/** Resolves on the first SIGINT or SIGTERM, which then no longer kill the process: the server closes cleanly. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
