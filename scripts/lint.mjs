// Project rules that the type checker and the formatter do not enforce. Exits 1 with file:line for each breach.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const isComment = (line) => /^\s*(\*|\/\/|\/\*)/.test(line);

/** [rule, applies to file?, line test] */
const RULES = [
  [
    'focused or skipped test',
    (f) => f.startsWith('test/'),
    (l) => /\b(it|test|describe)\.(only|skip|todo)\(/.test(l),
  ],
  ['mock of our own module', (f) => f.startsWith('test/'), (l) => /\bvi\.mock\(/.test(l)],
  [
    '`any` without a reason on the same line',
    (f) => f.startsWith('src/'),
    (l) => !isComment(l) && /(:\s*any\b|\bas any\b|<any>)/.test(l.split('//')[0]) && !/\/\/.*\S/.test(l),
  ],
  [
    'process.exit outside src/cli/bin.ts',
    (f) => f.startsWith('src/') && f !== 'src/cli/bin.ts',
    (l) => /\bprocess\.exit\(/.test(l),
  ],
  [
    'console output in src/ (write to the injected streams)',
    (f) => f.startsWith('src/'),
    (l) => /\bconsole\.(log|error|warn|debug)\(/.test(l),
  ],
  [
    'unfinished-work marker',
    (f) => f.startsWith('src/'),
    (l) => /\b(TODO|FIXME|XXX)\b|not implemented/i.test(l),
  ],
];

function* files(dir) {
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(rel);
    else if (/\.(ts|mts)$/.test(entry.name)) yield rel;
  }
}

const breaches = [];
for (const file of [...files('src'), ...files('test')]) {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
  for (const [rule, applies, test] of RULES) {
    if (!applies(file)) continue;
    lines.forEach((line, i) => {
      if (test(line)) breaches.push(`${file}:${i + 1}: ${rule}\n    ${line.trim()}`);
    });
  }
}
if (breaches.length > 0) {
  process.stderr.write(`${breaches.join('\n')}\n${breaches.length} rule breach(es).\n`);
  process.exit(1);
}
process.stdout.write('lint: project rules hold\n');
