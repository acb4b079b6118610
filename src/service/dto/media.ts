import { z } from 'zod';
import { defineOutput, uuid } from '../../boundary/index.js';
import { EXAMPLE_ID } from './examples.js';

/** What the service keeps of an image (the blob store's attachment record, as far as the API shows it). */
export interface ImageRecord {
  readonly id: string;
  readonly ownerId: string;
  readonly position: number;
  readonly fileName: string | undefined;
  readonly createdAt: Date;
  readonly blob: { readonly sha256: string; readonly size: number; readonly contentType: string };
}

const EXAMPLE_MEDIA_ID = '0193a0c3-1a2b-7c3d-8e4f-5a6b7c8d9e0f';

const EXAMPLE_IMAGE = {
  id: EXAMPLE_MEDIA_ID,
  product_id: EXAMPLE_ID,
  url: `/media/${EXAMPLE_MEDIA_ID}`,
  content_type: 'image/jpeg',
  size: 48213,
  sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  file_name: 'front.jpg',
  position: 0,
  created_at: '2026-11-30T12:00:00.000Z',
};

const imageSchema = z
  .object({
    id: z.string().describe('the media id (GET /media/{id} serves the bytes)'),
    product_id: z.string(),
    url: z.string(),
    content_type: z.string().describe('sniffed from the bytes, never taken from the client'),
    size: z.number().int(),
    sha256: z.string().describe("the bytes' SHA-256 (lower-case hex), also the ETag of GET /media/{id}"),
    file_name: z.string().nullable().describe('the uploaded file name without any path, or null'),
    position: z.number().int(),
    created_at: z.string(),
  })
  .meta({ examples: [EXAMPLE_IMAGE] });

const image = (r: ImageRecord) => ({
  id: r.id,
  product_id: r.ownerId,
  url: `/media/${r.id}`,
  content_type: r.blob.contentType,
  size: r.blob.size,
  sha256: r.blob.sha256,
  file_name: r.fileName ?? null,
  position: r.position,
  created_at: r.createdAt.toISOString(),
});

export const ImageOut = defineOutput('ProductImage', imageSchema, image);

export const ImageListOut = defineOutput(
  'ProductImageList',
  z.object({ items: z.array(imageSchema) }).meta({ examples: [{ items: [EXAMPLE_IMAGE] }] }),
  (rows: readonly ImageRecord[]) => ({ items: rows.map(image) }),
);

export const ImageParams = z.strictObject({
  id: uuid().meta({ examples: [EXAMPLE_ID] }),
  imageId: uuid().meta({ examples: [EXAMPLE_MEDIA_ID] }),
});

export const MediaParams = z.strictObject({ id: uuid().meta({ examples: [EXAMPLE_MEDIA_ID] }) });

export const UploadQuery = z.strictObject({
  filename: z.string().max(1000).optional().describe('the file name to keep (for a raw body; a multipart part carries its own); any path is dropped'),
});

export const MediaHeaders = z.object({
  range: z
    .string()
    .max(200)
    .optional()
    .meta({ examples: ['bytes=0-1023'] }),
  'if-none-match': z
    .string()
    .max(1000)
    .optional()
    .meta({ examples: [`"${EXAMPLE_IMAGE.sha256}"`] }),
  'if-range': z.string().max(200).optional(),
});
