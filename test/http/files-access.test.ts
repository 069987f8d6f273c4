/**
 * Who may reach a file, by every route, on both stores: the uploader, a member, a removed
 * member, a team member who is not in the public channel ("guest" of it), a member of another
 * team, someone in no team, and a system admin. The generic matrix (access-matrix.test.ts)
 * proves refusals look like missing files; this one pins down the allowed cells too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, directChannel, makeSystemAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { png, upload, uploadFile } from '../helpers/uploads.js';

type Role = 'uploader' | 'member' | 'removed' | 'guest' | 'otherTeam' | 'outsider' | 'sysadmin';
type FileKey = 'priv' | 'pub' | 'dm' | 'unposted';
const READ_ROUTES = ['', '/download', '/thumbnail', '/preview'];

/** Expected status of every read route, per role and file. */
const READ: Record<Role, Record<FileKey, number>> = {
  uploader: { priv: 200, pub: 200, dm: 200, unposted: 200 },
  member: { priv: 200, pub: 200, dm: 200, unposted: 404 },
  removed: { priv: 404, pub: 200, dm: 404, unposted: 404 },
  guest: { priv: 404, pub: 200, dm: 404, unposted: 404 },
  otherTeam: { priv: 404, pub: 404, dm: 404, unposted: 404 },
  outsider: { priv: 404, pub: 404, dm: 404, unposted: 404 },
  // System admins manage team channels, never other people's direct messages; an unposted upload is its uploader's alone.
  sysadmin: { priv: 200, pub: 200, dm: 404, unposted: 404 },
};

/** Uploading into the private channel. */
const UPLOAD: Record<Role, number> = { uploader: 201, member: 201, removed: 404, guest: 404, otherTeam: 404, outsider: 404, sysadmin: 403 };
/** Deleting a file alice posted in the private channel (each role on a fresh file). */
const DELETE: Record<Role, number> = { uploader: 200, member: 403, removed: 404, guest: 404, otherTeam: 404, outsider: 404, sysadmin: 200 };

describe.each(STORES)('file access by role (%s)', (kind) => {
  let t: TestApp;
  let who: Record<Role, TestUser>;
  let files: Record<FileKey, string>;
  let priv: { id: string };
  let image: Buffer;

  const postedIn = async (channelId: string): Promise<string> => {
    const id = await uploadFile(t.api, who.uploader, channelId, { name: 'shot.png', data: image });
    await createPost(t.api, who.uploader, channelId, 'file', { file_ids: [id] });
    return id;
  };

  beforeAll(async () => {
    t = await startApp(kind);
    image = await png(40, 30);
    const [uploader, member, removed, guest, otherTeam, outsider, sysadmin] = await Promise.all(['alice', 'bob', 'rita', 'gus', 'dave', 'carol', 'root'].map((n) => registerUser(t.api, n)));
    who = { uploader: uploader!, member: member!, removed: removed!, guest: guest!, otherTeam: otherTeam!, outsider: outsider!, sysadmin: await makeSystemAdmin(t.app, sysadmin!) };
    const team = await createTeam(t.api, who.uploader, 'invite');
    for (const u of [who.member, who.removed, who.guest]) await addTeamMember(t.api, who.uploader, team.id, u);
    await createTeam(t.api, who.otherTeam, 'invite');
    priv = await createChannel(t.api, who.uploader, team.id, 'private');
    const pub = await createChannel(t.api, who.uploader, team.id, 'public');
    for (const u of [who.member, who.removed]) {
      await addChannelMember(t.api, who.uploader, priv.id, u);
      await addChannelMember(t.api, who.uploader, pub.id, u);
    }
    const dm = await directChannel(t.api, who.uploader, who.member);
    files = { priv: await postedIn(priv.id), pub: await postedIn(pub.id), dm: await postedIn(dm.id), unposted: await uploadFile(t.api, who.uploader, priv.id, { name: 'draft.png', data: image }) };
    // Rita could read everything before she was removed from both channels (she stays in the team).
    expect((await t.api.get(`/api/v1/files/${files.priv}/download`, who.removed.token)).status).toBe(200);
    for (const c of [priv.id, pub.id]) expect((await t.api.delete(`/api/v1/channels/${c}/members/${who.removed.id}`, who.uploader.token)).status).toBe(200);
  });
  afterAll(async () => t?.close());

  it('reads: every route answers as the table says', async () => {
    const wrong: string[] = [];
    for (const role of Object.keys(READ) as Role[]) {
      for (const file of Object.keys(files) as FileKey[]) {
        for (const route of READ_ROUTES) {
          const res = await t.api.get(`/api/v1/files/${files[file]}${route}`, who[role].token);
          if (res.status !== READ[role][file]) wrong.push(`${role} GET ${file}${route}: ${res.status}, expected ${READ[role][file]}`);
        }
      }
      const list = await t.api.get(`/api/v1/channels/${priv.id}/files`, who[role].token);
      const expected = READ[role].priv;
      if (list.status !== expected) wrong.push(`${role} GET channel files: ${list.status}, expected ${expected}`);
      else if (expected !== 200) continue;
      else if (!Array.isArray(list.body)) wrong.push(`${role} channel files: ${list.text.slice(0, 200)}`);
      else if (!list.body.some((f: { id: string }) => f.id === files.priv) || list.body.some((f: { id: string }) => f.id === files.unposted)) wrong.push(`${role}: channel files list wrong`);
    }
    expect(wrong).toEqual([]);
  });

  it('uploads and deletes: as the tables say', async () => {
    const wrong: string[] = [];
    for (const role of Object.keys(UPLOAD) as Role[]) {
      const res = await upload(t.api, who[role], priv.id, [{ name: 'note.txt', data: `from ${role}` }]);
      if (res.status !== UPLOAD[role]) wrong.push(`${role} upload: ${res.status}, expected ${UPLOAD[role]}`);
    }
    for (const role of Object.keys(DELETE) as Role[]) {
      const id = await postedIn(priv.id);
      const res = await t.api.delete(`/api/v1/files/${id}`, who[role].token);
      if (res.status !== DELETE[role]) wrong.push(`${role} delete: ${res.status}, expected ${DELETE[role]}`);
      const still = await t.api.get(`/api/v1/files/${id}`, who.uploader.token);
      if ((still.status === 200) !== (DELETE[role] !== 200)) wrong.push(`${role} delete: the file ${still.status === 200 ? 'survived' : 'is gone'}`);
    }
    expect(wrong).toEqual([]);
  });
});
