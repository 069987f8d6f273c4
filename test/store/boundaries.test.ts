/**
 * The store speaks storage, not HTTP: it throws its own errors (store/errors.ts) and the
 * services map them to domain errors. A store file importing the domain errors would let a
 * status code leak into the storage layer again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../src/store');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('store boundaries', () => {
  it('no file under src/store imports the domain errors', () => {
    const files = sources(root);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => /from\s+['"][./]*domain\/errors(\.js)?['"]/.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f));
    expect(offenders).toEqual([]);
  });
});
