/**
 * The Task Service emulator: a real HTTP server implementing titan-api.md Part A, with switches for every
 * variant the client must tolerate, fault injection, and optional persistence to a data folder.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createStampClock } from './clock.js';
import { createPreviewQuota, createRateLimiter } from './limits.js';
import { resolveOptions } from './options.js';
import { createPersistence, readChangeLog, readSnapshot, type Persistence } from './persist.js';
import { buildRoutes } from './routes.js';
import { Scheduler } from './scheduler.js';
import { createSchemaChecker } from './schema-check.js';
import { createRequestHandler } from './server.js';
import { Service } from './service.js';
import { createStatsRecorder } from './stats.js';
import { Store, TERMINAL } from './store.js';
import { BUILTIN_TEMPLATES, TemplateRegistry } from './templates.js';
import type { Emulator, EmulatorOptions, RemoteControl } from './types.js';
import { Worker } from './worker.js';
import { HttpError } from './http.js';

export type {
  Emulator,
  EmulatorOptions,
  EmulatorStats,
  EmulatorToken,
  ListMeta,
  ListPageInfo,
  RemoteControl,
  TemplateDefinition,
} from './types.js';
export { ALL_SCOPES } from './types.js';

export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const resolved = resolveOptions(options);
  const log = resolved.quiet ? undefined : resolved.log;
  // Background failures (a snapshot that cannot be written) are never silent, even when quiet.
  const reportError = (error: Error): void =>
    (resolved.log ?? ((line: string) => void process.stderr.write(`${line}\n`)))(
      `emulator: ${error.message}`,
    );
  const stats = createStatsRecorder();

  let persistence: Persistence | undefined;
  const store = new Store(createStampClock(resolved.now), (change) => persistence?.record(change));
  if (resolved.dataDir !== undefined) {
    const snapshot = await readSnapshot(resolved.dataDir);
    if (snapshot) store.load(snapshot);
    const logged = await readChangeLog(resolved.dataDir, snapshot?.log ?? 0);
    for (const change of logged.changes) store.replay(change);
    persistence = await createPersistence(resolved.dataDir, {
      takeSnapshot: () => store.snapshot(),
      generation: logged.lastGeneration + 1,
      dirty: logged.changes.length > 0,
      onWrite: stats.stateWritten,
      onError: reportError,
    });
  }

  const templates = new TemplateRegistry([...BUILTIN_TEMPLATES, ...(resolved.templates ?? [])]);
  const worker = new Worker({
    store,
    queueDelayMs: resolved.queueDelayMs,
    urlDurationMs: resolved.urlDurationMs,
    saveMedia: async (id, bytes) => persistence?.writeMedia(id, bytes),
    onError: reportError,
  });
  let service: Service | undefined;
  const scheduler = resolved.scheduler
    ? new Scheduler(resolved.now, (task) => service?.startExecution(task), reportError)
    : undefined;
  service = new Service({
    store,
    templates,
    options: resolved,
    checkSchema: createSchemaChecker(),
    worker,
    scheduler,
  });
  const remote = remoteControl(service, store);

  let origin = '';
  const hanging = new Set<Socket>();
  const routes = buildRoutes({
    service,
    store,
    templates,
    options: resolved,
    previewQuota: createPreviewQuota(resolved.previewQuota, resolved.now),
    persistence,
    remote,
    origin: () => origin,
  });
  const rateLimiter =
    resolved.rateLimit > 0 ? createRateLimiter(resolved.rateLimit, resolved.now) : undefined;
  const handle = createRequestHandler({
    routes,
    options: resolved,
    stats,
    rateLimiter,
    hanging,
    log,
    commit: () => persistence?.commit(),
  });
  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      reportError(error);
      response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  // Continue what was running before a restart, and arm the schedules.
  for (const execution of store.allExecutions()) {
    if (!TERMINAL.has(execution.status) && execution.status !== 'paused') worker.schedule(execution);
  }
  if (scheduler)
    for (const task of store.queryTasks({ sort: 'created_at', includeDeleted: false })) scheduler.sync(task);

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of hanging) socket.destroy();
    server.closeAllConnections();
    await closed;
    scheduler?.close();
    await worker.close();
    await persistence?.close();
  };

  return {
    url: origin,
    token: resolved.tokens[0]?.token ?? '',
    close: () => (closing ??= close()),
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    remote,
  };
}

function remoteControl(service: Service, store: Store): RemoteControl {
  const unwrap = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      if (error instanceof HttpError) throw new Error(`${error.code}: ${error.message}`);
      throw error;
    }
  };
  return {
    createTask: (body) => unwrap(() => service.taskView(service.createTask(body))),
    updateTask: (id, patch) => unwrap(() => service.taskView(service.updateTask(id, patch, 'patch'))),
    deleteTask: (id) => void unwrap(() => service.deleteTask(id)),
    taskCount: () => store.taskCount(),
  };
}
