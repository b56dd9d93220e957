/** A problem found in user input, reported as data: every problem at once, each with a place and a code. */
import { compareStrings } from './json.js';

export type Severity = 'error' | 'warning';

export interface SourceLocation {
  /** Path as the user gave it (relative to the working directory when possible). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface Diagnostic extends Partial<SourceLocation> {
  /** Stable, documented code, e.g. `TITAN_SCHEMA_TYPE`; tests and users branch on it, never on wording. */
  code: string;
  severity: Severity;
  message: string;
  /** JSON-pointer-like path inside the document (`/spec/urls/0`), when there is one. */
  path?: string;
  /** What would be right, when titan can tell ("did you mean `objective`?"). */
  hint?: string;
}

export const hasErrors = (diagnostics: readonly Diagnostic[]): boolean =>
  diagnostics.some((d) => d.severity === 'error');

/** Stable order for output, whatever the locale: by file (code-point order), line, column, then code. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      compareStrings(a.file ?? '', b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      compareStrings(a.code, b.code),
  );
}
