/** Storage of the admin audit log. */
export interface AuditEntry {
  readonly id: string;
  readonly actor_id: string | null;
  readonly action: string;
  readonly target_type: string;
  readonly target_id: string;
  readonly ip: string;
  readonly details: string;
  readonly created_at: number;
}

export interface AuditStore {
  append(entry: AuditEntry): Promise<void>;
  list(offset: number, limit: number): Promise<AuditEntry[]>;
}
