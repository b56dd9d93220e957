/** Starting and stopping a quiet emulator on a free port, for any test that needs a Task Service. */
import { afterAll, beforeAll } from 'vitest';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';

/** A quiet emulator on 127.0.0.1 and a random port; the caller closes it. */
export function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return createEmulator({ quiet: true, port: 0, ...options });
}

/** One emulator for the whole `describe` block: started before its tests, closed after them. */
export function useEmulator(options: EmulatorOptions = {}): () => Emulator {
  let emulator: Emulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator(options);
  });
  afterAll(async () => {
    await emulator?.close();
  });
  return () => {
    if (!emulator) throw new Error('the emulator is not started yet (use it inside a test)');
    return emulator;
  };
}
