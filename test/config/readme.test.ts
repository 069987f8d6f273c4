/** The README's configuration table documents every variable the server reads. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VARIABLES } from '../../src/config/schema.js';

describe('README configuration table', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  it.each(VARIABLES.map((v) => v.name))('documents %s', (name) => {
    expect(readme).toContain(`| \`${name}\` |`);
  });
});
