/** How the commands that read manifests load them: on worker threads, and with the check cache of the workspace. */
import path from 'node:path';
import type { LoadManifestsOptions } from '../io/manifests.js';
import type { Workspace } from '../io/workspace.js';

export interface ManifestLoading {
  /** The manifest worker script (see `LoadManifestsOptions.worker`). */
  manifestWorker?: URL;
  /** Reuse unchanged files' checks from `.titan/cache/checks/` (`--no-cache` leaves it out); `build` names titan's build. */
  checkCache?: { build: string };
}

export const CHECK_CACHE_FOLDER = path.join('cache', 'checks');

export function loadingOptionsOf(
  deps: ManifestLoading,
  workspace: Workspace,
): Pick<LoadManifestsOptions, 'worker' | 'cache'> {
  return {
    ...(deps.manifestWorker ? { worker: deps.manifestWorker } : {}),
    ...(deps.checkCache
      ? { cache: { dir: path.join(workspace.stateDir, CHECK_CACHE_FOLDER), build: deps.checkCache.build } }
      : {}),
  };
}
