/** The `titan.lock` format (design.md §4). Pure data; reading and atomic writing live in src/io/lockfile.ts. */

export const LOCKFILE_NAME = 'titan.lock';
export const LOCK_FORMAT_VERSION = 1;

export interface LockEntry {
  /** Remote task id. */
  id: string;
  /** `digestOf` the applied spec with sensitive values replaced by a placeholder. */
  digest: string;
  /** Remote `updated_at` seen after titan's last write. */
  updated_at: string;
  /** Manifest file (workspace-relative, `/`-separated) that declared the task. */
  file: string;
  /** `metadata.protect` at the last apply: deletion stays refused even after the manifest is removed. */
  protect: boolean;
  /** JSON pointers of spec values that were sensitive (paths only, never values). */
  sensitive?: string[];
}

export interface Lockfile {
  version: typeof LOCK_FORMAT_VERSION;
  /** uuid fixed at creation: a saved plan only applies to the lineage it was made from. */
  lineage: string;
  /** Incremented on every write. */
  serial: number;
  /** API origin the ids belong to (`local:` for the embedded emulator). */
  origin: string;
  /** Keyed by manifest key; serialised with sorted keys. */
  tasks: Record<string, LockEntry>;
}
