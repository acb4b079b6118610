import { randomBytes } from 'node:crypto';
import { mkdir, readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { alive } from './alive.js';

/**
 * The strata processes using an embedded server: one file each in `<home>/pg.users`, named
 * `<pid>-<token>` (a process may open the server more than once). A file whose process died no
 * longer counts. The last user to leave stops a server no `strata db start` keeps up.
 */
export class Users {
  private readonly own = `${process.pid}-${randomBytes(6).toString('hex')}`;

  constructor(private readonly dir: string) {}

  async join(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    await writeFile(join(this.dir, this.own), '');
  }

  async leave(): Promise<void> {
    await unlink(join(this.dir, this.own)).catch(() => undefined);
  }

  /** Pids of the live users other than this one (this process counts when it opened the server twice); dead ones are removed. */
  async others(): Promise<number[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const pids = new Set<number>();
    for (const name of names) {
      if (name === this.own) continue;
      const pid = Number.parseInt(name, 10);
      if (Number.isInteger(pid) && alive(pid)) pids.add(pid);
      else await unlink(join(this.dir, name)).catch(() => undefined);
    }
    return [...pids];
  }

  /** Forgets every user (the server was stopped under them). */
  async clear(): Promise<void> {
    for (const name of await readdir(this.dir).catch(() => [] as string[])) await unlink(join(this.dir, name)).catch(() => undefined);
  }
}
