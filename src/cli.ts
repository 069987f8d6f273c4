#!/usr/bin/env node
/**
 * The `rustchat` command.
 *
 *   rustchat [serve]        start the server (the default)
 *   rustchat migrate        apply pending database migrations and exit
 *   rustchat check-config   validate the configuration and exit (0 when it would start)
 *   rustchat create-admin <email> <username>   create a system admin; the password is read
 *                           from RUSTCHAT_NEW_ADMIN_PASSWORD or standard input
 *   rustchat rotate-encryption-key   re-encrypt every sealed secret under RUSTCHAT_ENCRYPTION_KEY,
 *                           reading old values with RUSTCHAT_ENCRYPTION_KEY_PREVIOUS (safe to re-run)
 *   rustchat files check    compare file storage (disk or S3) with the metadata: prints a JSON
 *                           report of stored objects no metadata names and of named objects
 *                           that are missing; exits 1 when there are any (changes nothing)
 */
// First: refuse an unsupported Node.js before any other module (or native addon) loads.
import './runtime-check.js';
import cluster from 'node:cluster';
import { boot, serve } from './main.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function run(argv: readonly string[]): Promise<number> {
  const [command = 'serve', ...args] = argv;
  switch (command) {
    case 'serve':
      return serve();
    case 'check-config':
      return boot() === undefined ? 1 : 0;
    case 'migrate': {
      const booted = boot();
      if (booted === undefined) return 1;
      const { openStore } = await import('./store/open.js');
      const { store, migrations } = await openStore({ databaseUrl: booted.config.database.url, dataDir: booted.config.dataDir, poolSize: 2 });
      booted.logger.info({ applied: migrations?.applied ?? [], schema_version: migrations?.current }, 'migrations up to date');
      await store.close();
      return 0;
    }
    case 'create-admin': {
      const [email, username] = args;
      if (email === undefined || username === undefined) {
        process.stderr.write('usage: rustchat create-admin <email> <username>  (password from RUSTCHAT_NEW_ADMIN_PASSWORD or stdin)\n');
        return 2;
      }
      const booted = boot();
      if (booted === undefined) return 1;
      const password = process.env.RUSTCHAT_NEW_ADMIN_PASSWORD ?? (await readStdin());
      const { createApp } = await import('./app.js');
      const app = await createApp(booted.config, { logger: booted.logger, defaultMetrics: false });
      try {
        const outcome = await app.services.accounts.createAdmin(email, username, password);
        booted.logger.info({ username }, outcome === 'created' ? 'system admin created' : 'a user with that e-mail already exists; nothing changed');
        return outcome === 'created' ? 0 : 1;
      } catch (err) {
        booted.logger.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'could not create the admin');
        return 1;
      } finally {
        await app.close();
      }
    }
    case 'rotate-encryption-key': {
      const booted = boot();
      if (booted === undefined) return 1;
      const { config, logger } = booted;
      if (config.encryption.previousKey === undefined) {
        logger.warn('RUSTCHAT_ENCRYPTION_KEY_PREVIOUS is not set: values sealed under an older key cannot be read and will be reported');
      }
      const { openStore } = await import('./store/open.js');
      const { SecretBox } = await import('./security/crypto.js');
      const { rotateEncryptionKey } = await import('./services/key-rotation.js');
      const { store } = await openStore({ databaseUrl: config.database.url, dataDir: config.dataDir, poolSize: 2 });
      try {
        const report = await rotateEncryptionKey(store.sealed, new SecretBox(config.encryption.key, config.encryption.previousKey));
        for (const f of report.failed) logger.error({ table: f.table, column: f.column, id: f.id, reason: f.reason }, 'could not re-encrypt a sealed value');
        logger.info(
          { rotated: report.rotated, already_current: report.alreadyCurrent, changed_meanwhile: report.changedMeanwhile, failed: report.failed.length },
          report.failed.length === 0 ? 'every sealed value is under the current encryption key' : 'encryption key rotation finished with unreadable values',
        );
        return report.failed.length === 0 ? 0 : 1;
      } finally {
        await store.close();
      }
    }
    case 'files': {
      if (args[0] !== 'check') {
        process.stderr.write('usage: rustchat files check\n');
        return 2;
      }
      const booted = boot();
      if (booted === undefined) return 1;
      const { config, logger } = booted;
      const { openStore } = await import('./store/open.js');
      const { openStorage } = await import('./storage/open.js');
      const { checkFiles } = await import('./services/files.js');
      const { store } = await openStore({ databaseUrl: config.database.url, dataDir: config.dataDir, poolSize: 2 });
      const storage = await openStorage(config.files);
      try {
        const report = await checkFiles(store.files, storage, store.previews, store.attachmentImages);
        process.stdout.write(`${JSON.stringify({ storage: storage.kind, objects_seen: report.objectsSeen, keys_known: report.keysKnown, orphan_objects: report.orphanObjects, missing_objects: report.missingObjects }, null, 2)}\n`);
        const clean = report.orphanObjects.length === 0 && report.missingObjects.length === 0;
        logger.info({ orphan_objects: report.orphanObjects.length, missing_objects: report.missingObjects.length }, clean ? 'file storage and metadata agree' : 'file storage and metadata disagree');
        return clean ? 0 : 1;
      } finally {
        await storage.close();
        await store.close();
      }
    }
    default:
      process.stderr.write(`unknown command: ${command}\nusage: rustchat [serve|migrate|check-config|create-admin|rotate-encryption-key|files check]\n`);
      return 2;
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A worker's IPC channel to its primary would keep it alive after its server stopped.
    if (cluster.isWorker) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    // A worker that cannot serve must exit, so that its primary notices (and stops or replaces it).
    if (cluster.isWorker) process.exit(1);
  },
);
