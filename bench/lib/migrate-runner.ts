/**
 * The migration runner of bench/migrate-under-load.ts, in a process of its own as `strata migrate
 * start` / `complete` would be: its own work (parsing statements, planning) then never delays the
 * load generator's timers and replies, which share no event loop with it.
 *
 * Protocol (IPC): the parent sends `{ command: 'start' | 'complete' | 'rollback', url, migration, options }`;
 * the child answers with `{ type: 'event', event }` while it works and `{ type: 'done', error? }`
 * at the end; `{ command: 'exit' }` ends it.
 */
import { openPostgres } from '../../src/db/index.js';
import { completeMigration, type MigrationEvent, type NamedMigration, type RunOptions, rollbackMigration, startMigration } from '../../src/migrate/index.js';

export interface RunnerRequest {
  readonly command: 'start' | 'complete' | 'rollback' | 'exit';
  readonly url?: string;
  readonly migration?: NamedMigration;
  readonly options?: Omit<RunOptions, 'onEvent'>;
}

export type RunnerReply = { readonly type: 'event'; readonly event: MigrationEvent } | { readonly type: 'done'; readonly error?: string };

const send = (reply: RunnerReply) => process.send?.(reply);

process.on('message', (request: RunnerRequest) => {
  const { command } = request;
  if (command === 'exit') {
    process.disconnect?.();
    return;
  }
  void (async () => {
    const { url, migration, options } = request;
    if (!url || !migration) return send({ type: 'done', error: 'url and migration are required' });
    const runner = await openPostgres(url, { max: 2 });
    try {
      const run = { start: startMigration, complete: completeMigration, rollback: rollbackMigration }[command];
      const result = await run(runner.db, [migration], { ...options, onEvent: (event) => send({ type: 'event', event }) });
      send(result.error ? { type: 'done', error: result.error.message } : { type: 'done' });
    } catch (err) {
      send({ type: 'done', error: (err as Error).message });
    } finally {
      await runner.close();
    }
  })();
});
send({ type: 'done' });
