/**
 * `rustchat rotate-encryption-key`: re-encrypts every sealed value (store/sealed.ts
 * registry) under the current RUSTCHAT_ENCRYPTION_KEY, reading old values with
 * RUSTCHAT_ENCRYPTION_KEY_PREVIOUS.
 *
 * Resumable by construction: each row is its own compare-and-set UPDATE (committed alone),
 * and rows already under the current key are skipped (SecretBox.needsRotation), so a run
 * that was interrupted is finished by running it again. A row that changed between read
 * and write (an admin saved a new secret meanwhile) is left alone: the new value was sealed
 * under the current key anyway. Rows that cannot be opened are reported, never rewritten.
 */
import { DecryptError, type SecretBox } from '../security/crypto.js';
import { SEALED_COLUMNS, type SealedColumn, type SealedValueStore } from '../store/sealed.js';

export interface RotationFailure {
  readonly table: string;
  readonly column: string;
  readonly id: string;
  readonly reason: string;
}

export interface RotationReport {
  /** Values re-encrypted by this run. */
  readonly rotated: number;
  /** Values that were already under the current key. */
  readonly alreadyCurrent: number;
  /** Values that changed while this run looked at them (left as they are). */
  readonly changedMeanwhile: number;
  readonly failed: readonly RotationFailure[];
  /** False when the run stopped at `maxRotations` before the end. */
  readonly complete: boolean;
}

export interface RotationOptions {
  readonly columns?: readonly SealedColumn[];
  readonly batchSize?: number;
  /** Stop after this many re-encryptions (to rotate in slices, or to test resumption). */
  readonly maxRotations?: number;
}

export async function rotateEncryptionKey(store: SealedValueStore, box: SecretBox, options: RotationOptions = {}): Promise<RotationReport> {
  const batch = options.batchSize ?? 200;
  const max = options.maxRotations ?? Number.POSITIVE_INFINITY;
  let rotated = 0;
  let alreadyCurrent = 0;
  let changedMeanwhile = 0;
  const failed: RotationFailure[] = [];
  for (const column of options.columns ?? SEALED_COLUMNS) {
    let after = '';
    for (;;) {
      const rows = await store.scan(column, after, batch);
      if (rows.length === 0) break;
      for (const row of rows) {
        after = row.id;
        if (!box.needsRotation(row.value)) {
          alreadyCurrent++;
          continue;
        }
        if (rotated >= max) return { rotated, alreadyCurrent, changedMeanwhile, failed, complete: false };
        let plaintext: string;
        try {
          plaintext = box.open(row.value, column.aad(row.id));
        } catch (err) {
          if (!(err instanceof DecryptError)) throw err;
          failed.push({ table: column.table, column: column.column, id: row.id, reason: err.message });
          continue;
        }
        if (await store.replace(column, row.id, row.value, box.seal(plaintext, column.aad(row.id)))) rotated++;
        else changedMeanwhile++;
      }
    }
  }
  return { rotated, alreadyCurrent, changedMeanwhile, failed, complete: true };
}
