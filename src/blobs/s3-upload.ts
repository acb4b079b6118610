import type { S3Client } from '@aws-sdk/client-s3';

type Commands = typeof import('@aws-sdk/client-s3');

export interface StreamedUpload {
  readonly client: S3Client;
  /** `@aws-sdk/client-s3` itself (imported by the caller, only when an S3 store is used). */
  readonly commands: Commands;
  readonly Bucket: string;
  readonly Key: string;
  readonly source: AsyncIterable<Buffer>;
  /** Bytes per part (S3: at least 5 MiB, but for the last). */
  readonly partSize: number;
  /** Parts sent at once. */
  readonly queueSize: number;
}

/**
 * Streams `source` to one S3 object and resolves to its size: a single PutObject when the bytes fit
 * in one part, else a multipart upload. The bytes are copied into `queueSize + 1` part buffers
 * allocated once per upload and reused (one filling while up to `queueSize` are sent), so an
 * upload holds a fixed amount of memory whatever its size, and each incoming piece is garbage as
 * soon as it is copied. (`@aws-sdk/lib-storage` concatenates the pieces into a new buffer per part:
 * 5 MiB of garbage per part that waited in the old generation for a full collection, 60-80 MiB
 * resident at the peak of a large upload through the service; docs/blobs.md.)
 * A part buffer is reused only after its UploadPart answered. When the source or a request fails,
 * the multipart upload is aborted and the error rethrown.
 */
export async function uploadStreamed(options: StreamedUpload): Promise<number> {
  const { client, commands: s3, Bucket, Key, partSize, queueSize } = options;
  const free: Buffer[] = [];
  const take = () => free.pop() ?? Buffer.allocUnsafeSlow(partSize);
  const inFlight = new Set<Promise<void>>();
  const parts: { PartNumber: number; ETag: string }[] = [];
  let uploadId: string | undefined;
  let buffer = take();
  let filled = 0;
  let partNumber = 0;
  let size = 0;

  const sendPart = async (part: Buffer, length: number, PartNumber: number, UploadId: string) => {
    const answer = await client.send(new s3.UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: part.subarray(0, length), ContentLength: length }));
    if (!answer.ETag) throw new Error(`S3 answered part ${PartNumber} of ${Key} without an ETag`);
    parts.push({ PartNumber, ETag: answer.ETag });
    free.push(part);
  };
  const flush = async () => {
    if (uploadId === undefined) {
      const created = await client.send(new s3.CreateMultipartUploadCommand({ Bucket, Key }));
      if (!created.UploadId) throw new Error(`S3 started no multipart upload for ${Key}`);
      uploadId = created.UploadId;
    }
    // A failed part rejects the race: the upload stops here.
    while (inFlight.size >= queueSize) await Promise.race(inFlight);
    partNumber += 1;
    const sent: Promise<void> = sendPart(buffer, filled, partNumber, uploadId).finally(() => inFlight.delete(sent));
    sent.catch(() => undefined);
    inFlight.add(sent);
    buffer = take();
    filled = 0;
  };

  try {
    for await (const chunk of options.source) {
      size += chunk.length;
      for (let at = 0; at < chunk.length; ) {
        const copied = chunk.copy(buffer, filled, at);
        at += copied;
        filled += copied;
        if (filled === partSize) await flush();
      }
    }
    if (uploadId === undefined) {
      await client.send(new s3.PutObjectCommand({ Bucket, Key, Body: buffer.subarray(0, filled), ContentLength: filled }));
      return size;
    }
    if (filled > 0) await flush();
    await Promise.all(inFlight);
    parts.sort((a, b) => a.PartNumber - b.PartNumber);
    await client.send(new s3.CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    return size;
  } catch (err) {
    await Promise.allSettled(inFlight);
    if (uploadId !== undefined) await client.send(new s3.AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => undefined);
    throw err;
  }
}
