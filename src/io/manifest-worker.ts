// The manifest worker: checks files of a large workspace on another thread, one at a time as the main thread hands
// them out (src/io/manifests.ts), and says when it is ready for the first.
import { parentPort, workerData } from 'node:worker_threads';
import type { ManifestText } from '../core/manifest/load.js';
import { createFileChecker, type CheckSetup, type WorkerAnswer } from './manifests.js';

const port = parentPort;
if (port !== null) {
  const checker = createFileChecker(workerData as CheckSetup);
  port.on('message', ({ index, text }: { index: number; text: ManifestText }) => {
    const answer: WorkerAnswer = { index, check: checker.check(text), refTexts: checker.takeRefTexts() };
    port.postMessage(answer);
  });
  port.postMessage('ready');
}
