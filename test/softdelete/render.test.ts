import { describe, expect, it } from 'vitest';
import { namesFor } from '../../src/softdelete/index.js';
import { livePartialIndex, renderDeletedView, renderDeleteFunction, renderDeleteTrigger, renderLiveView } from '../../src/softdelete/render.js';

const n = namesFor('products');

describe('soft-delete DDL (rendered, no I/O)', () => {
  it('the live view lists every column but the soft-delete ones and filters deleted rows', () => {
    expect(renderLiveView(n, ['id', 'sku', 'deleted_at', 'deleted_by', 'deleted_batch', 'Odd "name"'])).toBe(
      'CREATE VIEW "public"."products" AS SELECT "id", "sku", "Odd ""name""" FROM "public"."products_all" WHERE deleted_at IS NULL',
    );
    expect(renderDeletedView(n)).toBe('CREATE VIEW "public"."products_deleted" AS SELECT * FROM "public"."products_all" WHERE deleted_at IS NOT NULL');
  });

  it('a partial index keeps its own condition and adds the live-row one', () => {
    expect(livePartialIndex('CREATE UNIQUE INDEX products_sku_key ON public.products_all USING btree (sku)')).toBe(
      'CREATE UNIQUE INDEX products_sku_key ON public.products_all USING btree (sku) WHERE deleted_at IS NULL',
    );
    expect(livePartialIndex('CREATE INDEX p_cheap ON public.products_all USING btree (price) WHERE (price < 100)')).toBe(
      'CREATE INDEX p_cheap ON public.products_all USING btree (price) WHERE (price < 100) AND deleted_at IS NULL',
    );
  });

  it('the trigger function marks the row with the actor and a batch, restricts and cascades to children', () => {
    const fn = renderDeleteFunction(n, 'id', [
      { child: { table: 'reviews', column: 'product_id', mode: 'restrict' }, names: namesFor('reviews') },
      { child: { table: 'images', column: 'product_id', mode: 'cascade' }, names: namesFor('images') },
      { child: { table: 'orders', column: 'product_id', mode: 'keep' }, names: namesFor('orders') },
    ]);
    expect(fn).toContain('CREATE OR REPLACE FUNCTION "public"."strata_soft_delete_products"() RETURNS trigger');
    expect(fn).toContain('IF EXISTS (SELECT 1 FROM "public"."reviews_all" WHERE "product_id" = OLD."id" AND deleted_at IS NULL) THEN');
    expect(fn).toContain("USING ERRCODE = 'foreign_key_violation'");
    expect(fn).toContain('DELETE FROM "public"."images" WHERE "product_id" = OLD."id";');
    expect(fn).not.toContain('orders');
    expect(fn).toContain("deleted_by = coalesce(nullif(current_setting('strata.actor', true), ''), 'unknown')");
    expect(fn).toContain('WHERE "id" = OLD."id" AND deleted_at IS NULL;');
    expect(renderDeleteTrigger(n)).toBe(
      'CREATE TRIGGER "products_soft_delete" INSTEAD OF DELETE ON "public"."products" FOR EACH ROW EXECUTE FUNCTION "public"."strata_soft_delete_products"()',
    );
  });

  it("the live view also hides a migration's _strata_ columns, only by that prefix (a name merely ending in it stays)", () => {
    expect(renderLiveView(n, ['id', '_strata_new_price', 'price_strata_', 'deleted_at'])).toBe(
      'CREATE VIEW "public"."products" AS SELECT "id", "price_strata_" FROM "public"."products_all" WHERE deleted_at IS NULL',
    );
  });

  it('the whole trigger function, exactly: a keep child adds nothing, two children follow each other with nothing between', () => {
    const none = renderDeleteFunction(n, 'id', []);
    expect(renderDeleteFunction(n, 'id', [{ child: { table: 'orders', column: 'product_id', mode: 'keep' }, names: namesFor('orders') }])).toBe(none);
    expect(none).toBe(
      `CREATE OR REPLACE FUNCTION "public"."strata_soft_delete_products"() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  batch uuid := md5(txid_current()::text || ':' || statement_timestamp()::text)::uuid;
BEGIN
  UPDATE "public"."products_all"
     SET deleted_at = clock_timestamp(),
         deleted_by = coalesce(nullif(current_setting('strata.actor', true), ''), 'unknown'),
         deleted_batch = batch
   WHERE "id" = OLD."id" AND deleted_at IS NULL;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  RETURN OLD;
END
$fn$`,
    );
    const two = renderDeleteFunction(n, 'id', [
      { child: { table: 'images', column: 'product_id', mode: 'cascade' }, names: namesFor('images') },
      { child: { table: 'tags', column: 'product_id', mode: 'cascade' }, names: namesFor('tags') },
    ]);
    expect(two).toContain(
      'BEGIN\n  DELETE FROM "public"."images" WHERE "product_id" = OLD."id";\n  DELETE FROM "public"."tags" WHERE "product_id" = OLD."id";\n  UPDATE "public"."products_all"',
    );
  });
});
