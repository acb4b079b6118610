/** Example JSON for the catalog's DTOs, as sent on the wire (shown in /openapi.json and /docs). */

export const EXAMPLE_ID = '0193a0c2-7d1e-7c3a-9f2b-5e8d4a1b6c70';

export const EXAMPLE_CREATE = {
  sku: 'MUG-RED-350',
  name: 'Red mug, 350 ml',
  description: 'Stoneware, dishwasher safe.',
  price: 1299,
  currency: 'EUR',
  stock: 40,
  tags: ['kitchen', 'mugs'],
};

const { sku: _sku, ...upsert } = EXAMPLE_CREATE;
export const EXAMPLE_UPSERT = upsert;

export const EXAMPLE_PATCH = { price: 1099, stock: 38 };

export const EXAMPLE_PRODUCT = {
  id: EXAMPLE_ID,
  ...EXAMPLE_CREATE,
  created_at: '2026-12-01T09:30:00.000Z',
  updated_at: '2026-12-01T09:30:00.000Z',
  version: 1,
};

export const EXAMPLE_CURSOR = 'WyJjcmVhdGVkIiwiMjAyNi0xMi0wMVQwOTozMDowMC4wMDBaIiwiMDE5M2EwYzItN2QxZS03YzNhLTlmMmItNWU4ZDRhMWI2YzcwIl0';

export const EXAMPLE_DELETED = { ...EXAMPLE_PRODUCT, deleted_at: '2026-12-02T16:05:12.000Z', deleted_by: 'anonymous' };

const updated = { ...EXAMPLE_PRODUCT, ...EXAMPLE_PATCH, updated_at: '2026-12-02T10:15:00.000Z', version: 2 };

export const EXAMPLE_VERSIONS = [
  {
    version: 1,
    operation: 'insert',
    valid_from: '2026-12-01T09:30:00.000Z',
    valid_to: '2026-12-02T10:15:00.000Z',
    actor: 'anonymous',
    request_id: '0193a0c2-7d10-7000-8000-00000000a001',
    product: EXAMPLE_PRODUCT,
  },
  {
    version: 2,
    operation: 'update',
    valid_from: '2026-12-02T10:15:00.000Z',
    valid_to: null,
    actor: 'anonymous',
    request_id: '0193a5e7-1c20-7000-8000-00000000a002',
    product: updated,
  },
];

export const EXAMPLE_DIFF = {
  from: 1,
  to: 2,
  changes: [
    { field: 'price', from: 1299, to: 1099 },
    { field: 'stock', from: 40, to: 38 },
  ],
};

export const EXAMPLE_CSV =
  'sku,name,price,currency,stock,tags\nMUG-RED-350,"Red mug, 350 ml",1299,EUR,40,kitchen;mugs\nMUG-BLUE-350,"Blue mug, 350 ml",1299,EUR,25,kitchen;mugs\n';

export const EXAMPLE_NDJSON = `${JSON.stringify(EXAMPLE_CREATE)}\n${JSON.stringify({ ...EXAMPLE_CREATE, sku: 'MUG-BLUE-350', name: 'Blue mug, 350 ml', stock: 25 })}\n`;
