/** Runs once before the suite: PostgreSQL and Redis must answer, or the run fails loudly. */
import { checkPostgres, checkRedis } from './services.js';

export default async function setup(): Promise<void> {
  await checkPostgres();
  await checkRedis();
}
