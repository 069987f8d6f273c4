import { readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem, REQUIRED_NODE_MAJOR } from '../../src/runtime-check.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { engines: { node: string }; scripts: Record<string, string> };
const CHECK = `${root}/scripts/check-node.mjs`;

describe('supported Node.js runtime', () => {
  it('requires Node.js 24 LTS, as package.json engines says', () => {
    expect(REQUIRED_NODE_MAJOR).toBe(24);
    expect(pkg.engines.node).toBe(`>=${REQUIRED_NODE_MAJOR}`);
  });

  it('refuses an older Node.js with a sentence naming the required version', () => {
    expect(nodeVersionProblem('20.20.2')).toMatch(/needs Node\.js 24 LTS or newer; this is Node\.js 20\.20\.2/);
    expect(nodeVersionProblem('22.12.0')).toMatch(/Node\.js 24/);
    expect(nodeVersionProblem('garbage')).toMatch(/Node\.js 24/);
    expect(nodeVersionProblem('24.0.0')).toBeUndefined();
    expect(nodeVersionProblem('26.3.1')).toBeUndefined();
  });

  it('this test run itself is on Node.js 24 or newer', () => {
    expect(nodeVersionProblem(process.versions.node)).toBeUndefined();
  });

  it('the CLI loads the runtime check before any other module', () => {
    const cli = readFileSync(`${root}/src/cli.ts`, 'utf8');
    const firstImport = /^import .*$/m.exec(cli)?.[0];
    expect(firstImport).toBe("import './runtime-check.js';");
  });

  it('npm start runs the pre-build check, which passes on this Node.js', () => {
    expect(pkg.scripts.prestart).toBe('node scripts/check-node.mjs');
    const ok = spawnSync(process.execPath, [CHECK], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stderr).toBe('');
  });

  // The machines here ship Node 20 in /usr/bin: run the pre-build check with it when it is
  // there, the way `npm start` on that machine would.
  it.runIf(existsSync('/usr/bin/node') && Number(spawnSync('/usr/bin/node', ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout) < 24)(
    'the pre-build check stops an older Node.js at once',
    () => {
      const old = spawnSync('/usr/bin/node', [CHECK], { encoding: 'utf8' });
      expect(old.status).toBe(1);
      expect(old.stderr).toMatch(/RustChat needs Node\.js 24 LTS or newer; this is Node\.js \d+\./);
    },
  );
});
