/** Storage of custom slash commands. */
import type { Command } from '../domain/entities.js';

export type CommandPatch = Partial<Pick<Command, 'trigger_word' | 'url' | 'method' | 'token_sealed' | 'auto_complete' | 'auto_complete_hint' | 'auto_complete_desc' | 'display_name' | 'description'>>;

export interface CommandStore {
  /** Inserts a command; throws UniqueViolation when the team already has a live command with that trigger. */
  create(command: Command): Promise<void>;
  /** A live command. */
  get(id: string): Promise<Command | undefined>;
  /** The team's live command with that trigger (lower case). */
  getByTrigger(teamId: string, trigger: string): Promise<Command | undefined>;
  /** A team's live commands, by trigger. */
  listForTeam(teamId: string): Promise<Command[]>;
  /** Throws UniqueViolation on a taken trigger; undefined when not live. */
  update(id: string, patch: CommandPatch, at: number): Promise<Command | undefined>;
  markDeleted(id: string, at: number): Promise<boolean>;
}
