/** Storage of each user's sidebar arrangement (services/sidebar.ts validates and shapes it). */

export interface SidebarRow {
  readonly user_id: string;
  /** The categories as JSON text, exactly as the service wrote them. */
  readonly categories: string;
  readonly updated_at: number;
}

export interface SidebarStore {
  get(userId: string): Promise<SidebarRow | undefined>;
  /** Inserts or replaces the user's arrangement. */
  put(userId: string, categories: string, now: number): Promise<void>;
}
