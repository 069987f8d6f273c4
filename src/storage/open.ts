/** Chooses the storage driver from the configuration: S3 when a bucket is set, else local disk. */
import type { FilesConfig } from '../config/config.js';
import type { BlobStorage } from './blob-storage.js';
import { LocalStorage } from './local.js';

export async function openStorage(config: FilesConfig): Promise<BlobStorage> {
  if (config.s3 === undefined) return new LocalStorage(config.dir);
  // The AWS SDK loads only when S3 is configured (it is large: startup time, issue #11).
  const { S3Storage } = await import('./s3.js');
  return new S3Storage(config.s3);
}
