import { describe, expect, it } from 'vitest';
import { newProduct, useService } from '../support/service.js';

const svc = useService();

/** Keeps the next write in a later millisecond than the last (as-of reads have millisecond resolution). */
const nextMillisecond = () => new Promise((resolve) => setTimeout(resolve, 3));

/** The same instant written with a +02:00 offset, as a person in that zone would type it. */
function plusTwo(iso: string): string {
  const shifted = new Date(new Date(iso).getTime() + 2 * 3_600_000).toISOString();
  return `${shifted.slice(0, -1)}+02:00`;
}

describe('as-of reads agree with the row’s own timestamps', () => {
  it('issue #20.2: as_of = created_at finds version 1; as_of = version 2’s updated_at returns version 2 (was: 404, and version 1)', async () => {
    const created = await svc.request({ method: 'POST', url: '/products', payload: newProduct({ name: 'one' }) });
    const v1 = created.json() as { id: string; created_at: string; updated_at: string };
    expect(v1.created_at).toBe(v1.updated_at);
    await nextMillisecond();
    const v2 = (await svc.request({ method: 'PATCH', url: `/products/${v1.id}`, headers: { 'if-match': '"1"' }, payload: { name: 'two' } })).json();
    expect(v2.created_at).toBe(v1.created_at);
    await nextMillisecond();
    await svc.request({ method: 'PATCH', url: `/products/${v1.id}`, headers: { 'if-match': '"2"' }, payload: { name: 'three' } });

    const atCreation = await svc.request({ method: 'GET', url: `/products/${v1.id}?as_of=${v1.created_at}` });
    expect([atCreation.statusCode, atCreation.json().version, atCreation.json().name]).toEqual([200, 1, 'one']);
    const atUpdate = await svc.request({ method: 'GET', url: `/products/${v1.id}?as_of=${v2.updated_at}` });
    expect([atUpdate.statusCode, atUpdate.json().version, atUpdate.json().name]).toEqual([200, 2, 'two']);

    const history = (await svc.request({ method: 'GET', url: `/products/${v1.id}/history` })).json();
    expect(history.items[0].valid_from).toBe(v1.created_at);
    expect(history.items[1].valid_from).toBe(v2.updated_at);
  });

  it('issue #20.3: as_of with an unencoded + offset (it arrives as a space) is read as that instant (was: 400)', async () => {
    const created = (await svc.request({ method: 'POST', url: '/products', payload: newProduct({ name: 'zoned' }) })).json();
    const typed = plusTwo(created.created_at);
    expect(typed).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+02:00$/);
    const unencoded = await svc.request({ method: 'GET', url: `/products/${created.id}?as_of=${typed}` });
    expect([unencoded.statusCode, unencoded.json().version]).toEqual([200, 1]);
    const encoded = await svc.request({ method: 'GET', url: `/products/${created.id}?as_of=${encodeURIComponent(typed)}` });
    expect([encoded.statusCode, encoded.json().version]).toEqual([200, 1]);
    const bad = await svc.request({ method: 'GET', url: `/products/${created.id}?as_of=2026-12-01%2000:34:53` });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
