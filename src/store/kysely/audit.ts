/** AuditStore over Kysely. */
import type { AuditEntry, AuditStore } from '../audit.js';
import type { Db } from './shared.js';

export class Audit implements AuditStore {
  constructor(private readonly db: Db) {}
  async append(entry: AuditEntry): Promise<void> {
    await this.db.insertInto('audit_log').values({ ...entry }).execute();
  }
  list(offset: number, limit: number): Promise<AuditEntry[]> {
    return this.db.selectFrom('audit_log').selectAll().orderBy('created_at', 'desc').orderBy('id').offset(offset).limit(limit).execute();
  }
}
