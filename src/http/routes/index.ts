/** Registers every route module. */
import type { HttpDeps } from '../server.js';
import type { App } from '../types.js';
import { adminRoutes } from './admin.js';
import { authRoutes } from './auth.js';
import { channelRoutes } from './channels.js';
import { commandRoutes } from './commands.js';
import { emojiRoutes } from './emoji.js';
import { fileRoutes } from './files.js';
import { healthRoutes } from './health.js';
import { mattermostRoutes } from './mattermost.js';
import { notificationRoutes } from './notifications.js';
import { postRoutes } from './posts.js';
import { searchRoutes } from './search.js';
import { ssoRoutes } from './sso.js';
import { teamRoutes } from './teams.js';
import { threadRoutes } from './threads.js';
import { tokenRoutes } from './tokens.js';
import { unreadRoutes } from './unreads.js';
import { userRoutes } from './users.js';
import { webhookRoutes } from './webhooks.js';

export async function registerRoutes(app: App, deps: HttpDeps): Promise<void> {
  healthRoutes(app, deps);
  authRoutes(app, deps);
  userRoutes(app, deps);
  teamRoutes(app, deps);
  channelRoutes(app, deps);
  postRoutes(app, deps);
  notificationRoutes(app, deps);
  threadRoutes(app, deps);
  fileRoutes(app, deps);
  emojiRoutes(app, deps);
  searchRoutes(app, deps);
  unreadRoutes(app, deps);
  adminRoutes(app, deps);
  ssoRoutes(app, deps);
  webhookRoutes(app, deps);
  tokenRoutes(app, deps);
  commandRoutes(app, deps);
  await mattermostRoutes(app, deps);
}
