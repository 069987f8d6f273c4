/** CommandStore over Kysely. */
import type { Command } from '../../domain/entities.js';
import type { CommandPatch, CommandStore } from '../commands.js';
import { unique } from '../errors.js';
import type { Dialect } from '../migrations.js';
import { bytewise, num, type Db } from './shared.js';

const fromRow = (r: Command): Command => ({
  ...r, auto_complete: num(r.auto_complete), created_at: num(r.created_at), updated_at: num(r.updated_at), deleted_at: r.deleted_at === null ? null : num(r.deleted_at),
});

export class Commands implements CommandStore {
  constructor(private readonly db: Db, private readonly dialect: Dialect) {}

  async create(command: Command): Promise<void> {
    await unique(this.db.insertInto('commands').values({ ...command }).execute());
  }

  async get(id: string): Promise<Command | undefined> {
    const row = await this.db.selectFrom('commands').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    return row && fromRow(row);
  }

  async getByTrigger(teamId: string, trigger: string): Promise<Command | undefined> {
    const row = await this.db.selectFrom('commands').selectAll().where('team_id', '=', teamId).where('trigger_word', '=', trigger).where('deleted_at', 'is', null).executeTakeFirst();
    return row && fromRow(row);
  }

  async listForTeam(teamId: string): Promise<Command[]> {
    const rows = await this.db.selectFrom('commands').selectAll().where('team_id', '=', teamId).where('deleted_at', 'is', null).orderBy(bytewise(this.dialect, 'trigger_word')).execute();
    return rows.map(fromRow);
  }

  async update(id: string, patch: CommandPatch, at: number): Promise<Command | undefined> {
    const row = await unique(this.db.updateTable('commands').set({ ...patch, updated_at: at }).where('id', '=', id).where('deleted_at', 'is', null).returningAll().executeTakeFirst());
    return row && fromRow(row);
  }

  async markDeleted(id: string, at: number): Promise<boolean> {
    const r = await this.db.updateTable('commands').set({ deleted_at: at }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
