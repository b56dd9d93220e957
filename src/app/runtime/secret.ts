/**
 * `--secret-payload-file`: a JSON object sent with the run request and nowhere else. Its values never reach
 * output, traces or error messages — not even a JSON parser's excerpt of the file.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, TitanError } from '../../core/errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../core/json.js';

export async function readSecretPayload(file: string, cwd: string): Promise<JsonObject> {
  const absolute = path.resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'it cannot be read';
    throw new InvalidInputError(`--secret-payload-file: cannot read ${file}: ${reason}.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // The parser's message quotes the file's text: never repeat it.
    throw new InvalidInputError(`--secret-payload-file: ${file} is not valid JSON.`);
  }
  if (!isJsonObject(data)) {
    throw new InvalidInputError(
      `--secret-payload-file: ${file} must hold a JSON object, e.g. {"api_key": "…"}.`,
    );
  }
  return data;
}

/** Every string and number in the payload long enough to be recognisable in a message. */
export function secretValuesOf(payload: JsonValue): string[] {
  if (typeof payload === 'string') return payload.length >= 3 ? [payload] : [];
  if (typeof payload === 'number') return String(payload).length >= 3 ? [String(payload)] : [];
  if (Array.isArray(payload)) return payload.flatMap(secretValuesOf);
  if (isJsonObject(payload)) return Object.values(payload).flatMap(secretValuesOf);
  return [];
}

/**
 * Runs `action`; if it throws a titan error whose text contains a secret value (a server echoing the body back),
 * the value is replaced by `(sensitive)` before the error travels on.
 */
export async function withSecretsScrubbed<T>(
  secrets: readonly string[],
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (secrets.length > 0 && error instanceof TitanError) scrubError(error, secrets);
    throw error;
  }
}

function scrubError(error: TitanError, secrets: readonly string[]): void {
  const scrub = (text: string): string =>
    [...secrets]
      .sort((a, b) => b.length - a.length)
      .reduce((out, s) => out.split(s).join('(sensitive)'), text);
  error.message = scrub(error.message);
  if (error.hint !== undefined) Object.defineProperty(error, 'hint', { value: scrub(error.hint) });
  if (error.stack !== undefined) error.stack = scrub(error.stack);
}
