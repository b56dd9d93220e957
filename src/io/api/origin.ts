/** Pure checks of the connection settings before any request: the origin and the token's shape. */
import { InvalidInputError } from '../../core/errors.js';

/** The API prefix appended to the origin (titan-api.md A1). */
export const API_PREFIX = '/api/v1';

/** `localhost`, 127.0.0.0/8 and `[::1]`: the only hosts that may be reached over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Normalises the Task Service origin (`https://host[:port][/prefix]`, no trailing slash). Refuses anything that
 * could leak the token or would not work: plain http to a non-loopback host, credentials, query, fragment, or an
 * origin that already ends in `/api/v1`.
 */
export function parseOrigin(raw: string): string {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidInputError(
      `The Task Service URL "${text}" is not a valid URL.`,
      'Set TITAN_API_URL (or --api-url) to an origin such as https://api.webscraping.titannet.io',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidInputError(`The Task Service URL must use https:// (got ${url.protocol}//).`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new InvalidInputError(
      `Refusing plain http:// to ${url.hostname}: the token would travel unencrypted.`,
      'Use https://, or http:// only for a loopback host (localhost, 127.0.0.1, [::1]).',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidInputError(
      'The Task Service URL must not contain credentials; the token comes only from TITAN_TOKEN.',
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InvalidInputError('The Task Service URL must not contain a query or a fragment.');
  }
  const base = url.pathname.replace(/\/+$/, '');
  if (base.endsWith(API_PREFIX)) {
    throw new InvalidInputError(
      `The Task Service URL must be the origin without ${API_PREFIX} (titan appends it).`,
      `Use ${url.origin}${base.slice(0, -API_PREFIX.length)}`,
    );
  }
  return `${url.origin}${base}`;
}

/**
 * The token as it will be sent. Surrounding whitespace (a newline from a file) is dropped; anything that is not
 * visible ASCII is refused here, because fetch would otherwise reject the header with the token in its message.
 */
export function normalizeToken(raw: string): string {
  const token = raw.trim();
  if (token === '') throw new InvalidInputError('TITAN_TOKEN is empty.');
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new InvalidInputError(
      'TITAN_TOKEN contains characters that cannot be sent in an HTTP header (spaces or non-ASCII).',
      'Copy the API key again, without quotes or line breaks inside it.',
    );
  }
  return token;
}
