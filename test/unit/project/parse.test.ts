import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import projectSchema from '../../../schemas/project.schema.json' with { type: 'json' };
import { parseProjectFile } from '../../../src/core/project/parse.js';

const validateSchema = new Ajv2020({ strict: true, allErrors: true }).compile(projectSchema);
const FILE = 'titan.project.yaml';

const VALID = `apiVersion: titan/v1
kind: Project
workspaces:
  - path: teams/*
  - path: ./staging/catalog/
    name: staging-catalog
    apiUrlEnv: STAGING_TITAN_API_URL
    tokenEnv: STAGING_TITAN_TOKEN
    policies: { maxRunsPerDay: 10 }
policies: {}
pricing: { perFetch: 0.001 }
`;

/** [what, file text, code, line, column] — every invalid project file gets a diagnostic at file:line:col. */
const INVALID: [string, string, string, number, number][] = [
  ['empty file', '# nothing\n', 'TITAN_PROJECT_REQUIRED', 1, 1],
  ['not a mapping', '- a\n- b\n', 'TITAN_PROJECT_TYPE', 1, 1],
  ['YAML syntax', 'apiVersion: titan/v1\nkind: [Project\n', 'TITAN_YAML_SYNTAX', 2, 7],
  [
    'duplicate key',
    'apiVersion: titan/v1\napiVersion: titan/v1\nkind: Project\nworkspaces: [{path: a}]\n',
    'TITAN_DUPLICATE_KEY',
    2,
    1,
  ],
  [
    'wrong apiVersion',
    'apiVersion: titan/v2\nkind: Project\nworkspaces: [{path: a}]\n',
    'TITAN_PROJECT_VALUE',
    1,
    13,
  ],
  ['missing kind', 'apiVersion: titan/v1\nworkspaces: [{path: a}]\n', 'TITAN_PROJECT_REQUIRED', 1, 1],
  [
    'unknown top field',
    'apiVersion: titan/v1\nkind: Project\nworkspace: [{path: a}]\nworkspaces: [{path: a}]\n',
    'TITAN_PROJECT_UNKNOWN_FIELD',
    3,
    1,
  ],
  ['no workspaces', 'apiVersion: titan/v1\nkind: Project\n', 'TITAN_PROJECT_REQUIRED', 1, 1],
  ['empty workspaces', 'apiVersion: titan/v1\nkind: Project\nworkspaces: []\n', 'TITAN_PROJECT_TYPE', 3, 13],
  [
    'entry not a mapping',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - teams/a\n',
    'TITAN_PROJECT_TYPE',
    4,
    5,
  ],
  [
    'entry without path',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - name: a\n',
    'TITAN_PROJECT_REQUIRED',
    4,
    5,
  ],
  [
    'path not a string',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - path: 3\n',
    'TITAN_PROJECT_TYPE',
    4,
    11,
  ],
  [
    'absolute path',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - path: /etc\n',
    'TITAN_PROJECT_PATH',
    4,
    11,
  ],
  [
    'path leaving the root',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - path: ../other\n',
    'TITAN_PROJECT_PATH',
    4,
    11,
  ],
  [
    '** glob',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - path: teams/**\n',
    'TITAN_PROJECT_PATH',
    4,
    11,
  ],
  [
    'dot-folder',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - path: .titan\n',
    'TITAN_PROJECT_PATH',
    4,
    11,
  ],
  [
    'unknown entry field',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - path: a\n    token: x\n',
    'TITAN_PROJECT_UNKNOWN_FIELD',
    5,
    5,
  ],
  [
    'bad env name',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - path: a\n    tokenEnv: 1TOKEN\n',
    'TITAN_PROJECT_VALUE',
    5,
    15,
  ],
  [
    'env name not a string',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - path: a\n    apiUrlEnv: [A]\n',
    'TITAN_PROJECT_TYPE',
    5,
    16,
  ],
  [
    'bad name',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - path: a\n    name: "my team"\n',
    'TITAN_PROJECT_VALUE',
    5,
    11,
  ],
  [
    'policies not a mapping',
    'apiVersion: titan/v1\nkind: Project\nworkspaces: [{path: a}]\npolicies: strict\n',
    'TITAN_PROJECT_TYPE',
    4,
    11,
  ],
  [
    'workspace policies not a mapping',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - path: a\n    policies: [x]\n',
    'TITAN_PROJECT_TYPE',
    5,
    15,
  ],
];

/** Rules only titan checks (the schema cannot compare entries). */
const TITAN_ONLY: [string, string, string, number, number][] = [
  [
    'duplicate path',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - path: a\n  - path: ./a/\n',
    'TITAN_PROJECT_DUPLICATE',
    5,
    11,
  ],
  [
    'duplicate name',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - { path: a, name: x }\n  - { path: b, name: x }\n',
    'TITAN_PROJECT_DUPLICATE',
    5,
    13,
  ],
  [
    'name on a glob',
    'apiVersion: titan/v1\nkind: Project\nworkspaces:\n  - path: teams/*\n    name: teams\n',
    'TITAN_PROJECT_VALUE',
    5,
    11,
  ],
];

describe('the project file', () => {
  it('reads a valid file: globs kept for expansion, paths normalised, the variable names', () => {
    const parsed = parseProjectFile(VALID, FILE);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.project?.workspaces.map(({ at: _at, ...entry }) => entry)).toEqual([
      { path: 'teams/*' },
      {
        path: 'staging/catalog',
        name: 'staging-catalog',
        apiUrlEnv: 'STAGING_TITAN_API_URL',
        tokenEnv: 'STAGING_TITAN_TOKEN',
        policies: { maxRunsPerDay: 10 },
      },
    ]);
    expect(parsed.project?.pricing).toEqual({ perFetch: 0.001 });
    expect(validateSchema(parse(VALID))).toBe(true);
  });

  it.each([...INVALID, ...TITAN_ONLY])(
    '%s: a diagnostic at file:line:col',
    (_what, text, code, line, column) => {
      const parsed = parseProjectFile(text, FILE);
      expect(parsed.project).toBeUndefined();
      expect(parsed.diagnostics).toContainEqual(expect.objectContaining({ code, file: FILE, line, column }));
    },
  );

  it.each(INVALID.filter(([what]) => !['YAML syntax', 'duplicate key'].includes(what)))(
    '%s: the published schema rejects it too',
    (_what, text) => {
      expect(validateSchema(parse(text) ?? null)).toBe(false);
    },
  );
});
