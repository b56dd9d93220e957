/**
 * `titan init [DIR]`: a new workspace that validates at once — an example manifest whose first line points
 * editors at the manifest schema, a `.gitignore` for `.titan/`, and the GitHub Actions workflow of the GitOps
 * loop. The files come from the package itself (`examples/quickstart`, `examples/gitops`), so `titan init`
 * writes exactly what the repository's examples show and test.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OperationalError, RefusedError } from '../core/errors.js';
import { toPosix } from './paths.js';

/** titan's npm package (the command it installs is `titan`); package.json's `name`, which a test checks. */
export const PACKAGE_NAME = 'titan-tasks';

/** Files of the package that `titan init` copies, relative to the package root. */
export const INIT_SOURCES = {
  manifest: 'examples/quickstart/first-task.yaml',
  workflow: 'examples/gitops/.github/workflows/titan.yml',
  schema: 'schemas/manifest.schema.json',
} as const;

/** Where the new files go, relative to the workspace. */
export const INIT_TARGETS = {
  manifest: 'tasks/first-task.yaml',
  workflow: '.github/workflows/titan.yml',
  gitignore: '.gitignore',
} as const;

const IGNORED_STATE_DIR = '.titan/';
const SCHEMA_LINE = /^# yaml-language-server: \$schema=.*$/m;

export interface InitTemplates {
  manifest: string;
  workflow: string;
}

export interface InitFile {
  /** Relative to the workspace, with `/` separators. */
  path: string;
  content: string;
}

/**
 * The manifest and workflow of a new workspace. `schemaRef` is what the manifest's
 * `# yaml-language-server: $schema=` line points at (see `schemaRefFor`).
 */
export function renderInitFiles(templates: InitTemplates, schemaRef: string): InitFile[] {
  const schemaLine = `# yaml-language-server: $schema=${schemaRef}`;
  const manifest = SCHEMA_LINE.test(templates.manifest)
    ? templates.manifest.replace(SCHEMA_LINE, schemaLine)
    : `${schemaLine}\n${templates.manifest}`;
  return [
    { path: INIT_TARGETS.manifest, content: manifest },
    { path: INIT_TARGETS.workflow, content: templates.workflow },
  ];
}

/**
 * The schema reference for a manifest at `manifestPath` in the workspace `workspaceRoot`: relative to the manifest
 * when the schema lives inside the workspace (typically `node_modules/titan-tasks/schemas/`, so it works in every clone
 * after `npm install`), else absolute — a relative path leaving the workspace would only work where the
 * folders happen to sit the same way.
 */
export function schemaRefFor(manifestPath: string, schemaPath: string, workspaceRoot: string): string {
  const schema = path.resolve(schemaPath);
  const inWorkspace = path.relative(path.resolve(workspaceRoot), schema);
  const insideWorkspace =
    inWorkspace !== '' && inWorkspace.split(path.sep)[0] !== '..' && !path.isAbsolute(inWorkspace);
  const ref = insideWorkspace ? path.relative(path.dirname(path.resolve(manifestPath)), schema) : schema;
  return toPosix(ref);
}

/** `.gitignore` content that ignores `.titan/`, or undefined when the existing one already does. */
export function gitignoreWithStateDir(existing: string | undefined): string | undefined {
  if (existing === undefined) return `${IGNORED_STATE_DIR}\n`;
  const ignores = existing
    .split(/\r?\n/)
    .map((line) => line.trim())
    .some((line) => line === '.titan' || line === '.titan/' || line === '/.titan' || line === '/.titan/');
  if (ignores) return undefined;
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  return `${existing}${separator}${IGNORED_STATE_DIR}\n`;
}

export interface InitResult {
  /** The workspace folder, absolute. */
  root: string;
  /** What happened to each file, in order, relative to the workspace. */
  written: { path: string; action: 'created' | 'overwritten' | 'updated' | 'unchanged' }[];
  /** Where the manifest's `$schema=` line points (relative when the schema is inside the workspace). */
  schemaRef: string;
}

export interface InitOptions {
  /** The folder to create the workspace in (created if missing). */
  dir: string;
  /** Overwrite the manifest and workflow when they exist. `.gitignore` is only ever appended to. */
  force: boolean;
  /** The root of the titan package (holds `examples/` and `schemas/`). */
  packageRoot: string;
}

/** Creates the workspace. Refuses (exit 4) to overwrite existing files without `force`, and then writes nothing. */
export async function writeInitWorkspace(options: InitOptions): Promise<InitResult> {
  const root = path.resolve(options.dir);
  const templates = await readInitTemplates(options.packageRoot);
  const manifestPath = path.join(root, INIT_TARGETS.manifest);
  const schemaRef = schemaRefFor(manifestPath, path.join(options.packageRoot, INIT_SOURCES.schema), root);
  const files = renderInitFiles(templates, schemaRef);

  const existing = files.filter((file) => existsSync(path.join(root, file.path))).map((file) => file.path);
  if (existing.length > 0 && !options.force) {
    throw new RefusedError(
      `titan init would overwrite ${existing.length === 1 ? 'an existing file' : `${existing.length} existing files`} in ${root}: ${existing.join(', ')}`,
      'Pass --force to overwrite them, or run titan init in another folder.',
    );
  }

  const written: InitResult['written'] = [];
  for (const file of files) {
    await writeWorkspaceFile(root, file.path, file.content);
    written.push({ path: file.path, action: existing.includes(file.path) ? 'overwritten' : 'created' });
  }
  written.push(await writeGitignore(root));
  return { root, written, schemaRef };
}

async function readInitTemplates(packageRoot: string): Promise<InitTemplates> {
  const read = async (relative: string): Promise<string> => {
    try {
      return await readFile(path.join(packageRoot, relative), 'utf8');
    } catch (error) {
      throw new OperationalError(
        `Cannot read ${relative} from the titan package at ${packageRoot}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        'Reinstall titan: the package ships examples/ and schemas/ beside dist/.',
      );
    }
  };
  return { manifest: await read(INIT_SOURCES.manifest), workflow: await read(INIT_SOURCES.workflow) };
}

async function writeGitignore(root: string): Promise<InitResult['written'][number]> {
  const file = path.join(root, INIT_TARGETS.gitignore);
  const before = existsSync(file) ? await readFile(file, 'utf8') : undefined;
  const after = gitignoreWithStateDir(before);
  if (after === undefined) return { path: INIT_TARGETS.gitignore, action: 'unchanged' };
  await writeWorkspaceFile(root, INIT_TARGETS.gitignore, after);
  return { path: INIT_TARGETS.gitignore, action: before === undefined ? 'created' : 'updated' };
}

async function writeWorkspaceFile(root: string, relative: string, content: string): Promise<void> {
  const file = path.join(root, relative);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content, 'utf8');
  } catch (error) {
    throw new OperationalError(
      `Cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/**
 * The titan package root: the nearest folder above `startDir` holding `schemas/manifest.schema.json` and
 * `examples/`. From the bundle that is `dist/..` (or `dist/chunks/../..`); from the sources, the repository.
 */
export function readPackageRoot(startDir: string): string {
  let dir = path.resolve(startDir);
  for (;;) {
    if (existsSync(path.join(dir, INIT_SOURCES.schema)) && existsSync(path.join(dir, INIT_SOURCES.manifest)))
      return dir;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new OperationalError(
        `Cannot find titan's schemas/ and examples/ above ${startDir}.`,
        'Reinstall titan: the package ships examples/ and schemas/ beside dist/.',
      );
    }
    dir = parent;
  }
}
