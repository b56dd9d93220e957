import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/core/errors.js';
import { createClient } from '../../../src/io/api/client.js';
import { normalizeToken, parseOrigin } from '../../../src/io/api/origin.js';

describe('origin validation', () => {
  it.each([
    ['https://api.webscraping.titannet.io', 'https://api.webscraping.titannet.io'],
    ['https://api.example/', 'https://api.example'],
    ['https://gateway.example/titan/', 'https://gateway.example/titan'],
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
    ['http://127.8.9.10', 'http://127.8.9.10'],
    ['http://localhost:4010/', 'http://localhost:4010'],
    ['http://[::1]:4010', 'http://[::1]:4010'],
    ['  https://API.Example  ', 'https://api.example'],
  ])('accepts %s as %s', (raw, origin) => {
    expect(parseOrigin(raw)).toBe(origin);
  });

  it.each([
    ['http://api.example', /plain http:\/\/ to api\.example/],
    ['http://10.0.0.1:4010', /plain http:\/\/ to 10\.0\.0\.1/],
    ['http://128.0.0.1', /plain http/],
    ['http://localhost.evil.example', /plain http/],
    ['ftp://api.example', /must use https/],
    ['api.example', /not a valid URL/],
    ['https://user:secret@api.example', /must not contain credentials/],
    ['https://api.example?x=1', /query or a fragment/],
    ['https://api.example/api/v1', /without \/api\/v1/],
  ])('refuses %s with a clear message', (raw, message) => {
    expect(() => parseOrigin(raw)).toThrow(InvalidInputError);
    expect(() => parseOrigin(raw)).toThrow(message);
  });

  it('does not repeat credentials from a refused URL in the message', () => {
    expect(() => parseOrigin('https://user:hunter2@api.example')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('createClient validates before any request and exposes the normalised origin', () => {
    expect(() => createClient({ origin: 'http://api.example', token: 't' })).toThrow(InvalidInputError);
    expect(createClient({ origin: 'http://localhost:9/', token: 't' }).origin).toBe('http://localhost:9');
  });
});

describe('token shape', () => {
  it('drops surrounding whitespace such as a trailing newline', () => {
    expect(normalizeToken('  abc.def-123\n')).toBe('abc.def-123');
  });

  it.each([[''], ['   '], ['abc def'], ['abc\ndef'], ['tökén']])('refuses %j without echoing it', (raw) => {
    let caught: unknown;
    try {
      normalizeToken(raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    if (raw.trim() !== '') expect((caught as Error).message).not.toContain(raw.trim());
  });
});
