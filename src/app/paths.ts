import path from 'node:path';

/** A path with `/` separators, as titan writes paths into plans and the lockfile on every platform. */
export const toPosix = (p: string): string => p.split(path.sep).join('/');
