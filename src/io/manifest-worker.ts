// The manifest worker: checks its share of a large workspace's files on another thread (src/io/manifests.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { ManifestText } from '../core/manifest/load.js';
import { checkTextsHere, type CheckSetup } from './manifests.js';

const { texts, setup } = workerData as { texts: ManifestText[]; setup: CheckSetup };
parentPort?.postMessage(checkTextsHere(texts, setup));
