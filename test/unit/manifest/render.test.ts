import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/core/diagnostics.js';
import { Code, CODE_MEANINGS } from '../../../src/core/manifest/codes.js';
import {
  renderCodeList,
  renderDiagnostics,
  renderDiagnosticsGithub,
  renderDiagnosticsJson,
  renderValidationSummary,
} from '../../../src/render/diagnostics.js';

const source =
  'apiVersion: titan/v1\nkind: Task\nspec:\n  execution_type: daily\n  urls: ["${env:TARGET}"]\n';
const enumError: Diagnostic = {
  code: 'TITAN_SCHEMA_ENUM',
  severity: 'error',
  message: 'spec.execution_type must be one of: single, scheduled (got "daily")',
  hint: 'did you mean "single"?',
  file: 'tasks/a.yaml',
  line: 4,
  column: 19,
  path: '/spec/execution_type',
};
const envError: Diagnostic = {
  ...enumError,
  code: 'TITAN_ENV_MISSING',
  message: 'environment variable TARGET is not set',
  line: 5,
  column: 11,
  path: '/spec/urls/0',
};
const warning: Diagnostic = {
  code: 'TITAN_NO_MANIFESTS',
  severity: 'warning',
  message: 'no manifests under empty',
};

describe('text rendering', () => {
  it('groups by file and shows the source line with a caret under the problem', () => {
    const text = renderDiagnostics([enumError, envError], {
      color: false,
      sources: new Map([['tasks/a.yaml', source]]),
    });
    expect(text).toBe(
      [
        'tasks/a.yaml',
        'error[TITAN_SCHEMA_ENUM]: spec.execution_type must be one of: single, scheduled (got "daily")',
        ' --> tasks/a.yaml:4:19',
        '  |',
        '4 |   execution_type: daily',
        '  |                   ^^^^^',
        '  = hint: did you mean "single"?',
        '',
        'error[TITAN_ENV_MISSING]: environment variable TARGET is not set',
        ' --> tasks/a.yaml:5:11',
        '  |',
        '5 |   urls: ["${env:TARGET}"]',
        '  | ' + ' '.repeat(10) + '^'.repeat('${env:TARGET}'.length),
        '  = hint: did you mean "single"?',
        '',
      ].join('\n'),
    );
  });

  it('works without sources and for diagnostics without a place', () => {
    const text = renderDiagnostics([warning, { ...enumError, hint: undefined }], { color: false });
    expect(text).toContain('warning[TITAN_NO_MANIFESTS]: no manifests under empty');
    expect(text).toContain(' --> tasks/a.yaml:4:19');
    expect(text).not.toContain('|');
  });

  it('colours only when asked, and never lets control characters from a file through', () => {
    const plain = renderDiagnostics([enumError], {
      color: false,
      sources: new Map([['tasks/a.yaml', source]]),
    });
    expect(plain).not.toContain('\u001b');
    const coloured = renderDiagnostics([enumError], { color: true });
    expect(coloured).toContain('\u001b[31m');
    const hostile = renderDiagnostics([{ ...enumError, line: 1, column: 1 }], {
      color: false,
      sources: new Map([['tasks/a.yaml', 'a: "\u001b]0;pwned\u0007"\n']]),
    });
    expect(hostile).not.toMatch(/[\u001b\u0007]/);
  });
});

describe('machine renderings', () => {
  it('json: an array with stable fields', () => {
    expect(JSON.parse(renderDiagnosticsJson([enumError, warning]))).toEqual([
      {
        file: 'tasks/a.yaml',
        line: 4,
        column: 19,
        code: 'TITAN_SCHEMA_ENUM',
        severity: 'error',
        message: 'spec.execution_type must be one of: single, scheduled (got "daily")',
        path: '/spec/execution_type',
        hint: 'did you mean "single"?',
      },
      {
        file: null,
        line: null,
        column: null,
        code: 'TITAN_NO_MANIFESTS',
        severity: 'warning',
        message: 'no manifests under empty',
        path: null,
      },
    ]);
  });

  it('github: paths relative to the repository checkout (GITHUB_WORKSPACE), so annotations land on the line', () => {
    const lines = renderDiagnosticsGithub(
      [
        { ...enumError, file: 'tasks/a.yaml' },
        { ...enumError, file: '../shared/s.json' },
        { ...enumError, file: '/elsewhere/x.yaml' },
      ],
      { cwd: '/repo/examples/shop', root: '/repo' },
    );
    expect(lines.split('\n').map((l) => /file=([^,]*)/.exec(l)?.[1])).toEqual([
      'examples/shop/tasks/a.yaml',
      'examples/shared/s.json',
      '/elsewhere/x.yaml',
      undefined,
    ]);
    const fromCwd = renderDiagnosticsGithub([enumError], { cwd: '/repo/examples/shop' });
    expect(fromCwd).toContain('file=tasks/a.yaml,');
  });

  it('github: one workflow command per diagnostic, escaped', () => {
    const text = renderDiagnosticsGithub([
      { ...enumError, file: 'a,b:c.yaml', message: '100% wrong\nreally', hint: undefined },
      warning,
    ]);
    expect(text).toBe(
      '::error file=a%2Cb%3Ac.yaml,line=4,col=19,title=TITAN_SCHEMA_ENUM::100%25 wrong%0Areally\n' +
        '::warning title=TITAN_NO_MANIFESTS::no manifests under empty\n',
    );
  });
});

describe('code list', () => {
  it('lists every code the loader emits, once, with a meaning', () => {
    const text = renderCodeList(CODE_MEANINGS);
    const rows = text.trimEnd().split('\n');
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual([...new Set(Object.values(Code))].sort());
    for (const row of rows) expect(row).toMatch(/^TITAN_[A-Z_]+ +\S.{10,}$/);
    expect(text).toMatch(/\nTITAN_REF_OUTSIDE_WORKSPACE +a \$ref names a file outside the git repository/);
  });
});

describe('summary line', () => {
  const base = { taskCount: 12, fileCount: 5, strict: false, color: false };
  it.each([
    [[], false, '✓ 12 tasks in 5 files are valid\n'],
    [[warning], false, '✓ 12 tasks in 5 files are valid (1 warning)\n'],
    // "no manifests" is about no file: no file is counted (not "in 1 file").
    [[warning], true, '✗ 1 warning (--strict)\n'],
    [[enumError, envError, warning], false, '✗ 2 errors, 1 warning in 1 file\n'],
    [[enumError, { ...envError, file: 'b.yaml' }], false, '✗ 2 errors in 2 files\n'],
  ] as const)('%#', (diagnostics, strict, expected) => {
    expect(renderValidationSummary({ ...base, diagnostics, strict })).toBe(expected);
  });

  it('speaks in the singular', () => {
    expect(renderValidationSummary({ ...base, taskCount: 1, fileCount: 1, diagnostics: [] })).toBe(
      '✓ 1 task in 1 file is valid\n',
    );
  });
});
