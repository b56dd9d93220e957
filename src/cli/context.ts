/**
 * Builds the real adapters a command needs from global options and the environment: the API client (remote, or
 * an embedded emulator with `--local`). Everything heavy is imported on first use.
 */
import path from 'node:path';
import { InvalidInputError } from '../core/errors.js';
import type { TaskServiceClient } from '../core/service/types.js';
import type { GlobalOptions } from './commands/types.js';
import type { ProcessIO } from './io.js';

export interface ApiConnection {
  client: TaskServiceClient;
  origin: string;
  /** Stops the embedded emulator, if any. */
  close(): Promise<void>;
}

/**
 * Connects to the Task Service named by `--api-url`/`TITAN_API_URL` with `TITAN_TOKEN`, or with `--local` starts
 * an embedded emulator whose data lives in `<workspace>/.titan/local/`.
 */
export async function connectApi(
  options: GlobalOptions,
  io: ProcessIO,
  workspaceDir: string,
  signal?: AbortSignal,
): Promise<ApiConnection> {
  const { createClient } = await import('../io/api/client.js');
  const trace = options.debug ? (line: string) => io.stderr.write(`[http] ${line}\n`) : undefined;
  if (options.local) {
    const { createEmulator } = await import('../emulator/index.js');
    const emulator = await createEmulator({
      port: 0,
      dataDir: path.join(path.resolve(io.cwd, workspaceDir), '.titan', 'local'),
      quiet: true,
      scheduler: false,
    });
    io.sensitive?.addToken(emulator.token);
    const client = createClient({ origin: emulator.url, token: emulator.token, trace, signal });
    return { client, origin: LOCAL_ORIGIN, close: () => emulator.close() };
  }
  const origin = options['api-url'] ?? io.env.TITAN_API_URL;
  if (!origin) {
    throw new InvalidInputError(
      'No Task Service URL: set TITAN_API_URL or pass --api-url.',
      'To try titan without an account, add --local (an embedded emulator).',
    );
  }
  const token = io.env.TITAN_TOKEN;
  if (!token) {
    throw new InvalidInputError(
      'No token: set TITAN_TOKEN in the environment (titan never takes the token as a flag).',
    );
  }
  const client = createClient({ origin, token, trace, signal });
  return { client, origin: client.origin, close: async () => {} };
}

/** The lockfile origin recorded for `--local` workspaces: stable across runs, whatever port the emulator got. */
const LOCAL_ORIGIN = 'local:';
