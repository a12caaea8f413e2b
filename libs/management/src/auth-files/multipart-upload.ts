import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { managementError } from '@app/common';
import type { UploadedFile } from '@app/management/auth-files/auth-file-upload';

/** The files and plain fields of a multipart request. */
export interface MultipartForm {
  files: UploadedFile[];
  fields: Record<string, string>;
}

/** True when the request is `multipart/form-data` (the multipart plugin decides). */
export function isMultipart(req: FastifyRequest): boolean {
  return typeof req.isMultipart === 'function' && req.isMultipart();
}

/** `@fastify/error` errors carry a code and an HTTP status. */
function limitError(err: unknown): { status: number; message: string } | undefined {
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof e?.code !== 'string' || !e.code.startsWith('FST_')) return undefined;
  const status = typeof e.statusCode === 'number' ? e.statusCode : 400;
  return { status, message: `invalid multipart form: ${String(e.message)}` };
}

/**
 * Read every part of a multipart request into memory (the plugin's limits bound it): files
 * with their client-given names, and plain fields. Limit violations and malformed bodies
 * become an AppError with the plugin's status (413 for size limits, 400 otherwise).
 */
export async function readMultipart(req: FastifyRequest): Promise<MultipartForm> {
  const form: MultipartForm = { files: [], fields: {} };
  try {
    // preservePath: a client-sent `../x.json` is refused by name validation instead of being
    // silently cut to `x.json`.
    for await (const part of req.parts({ preservePath: true })) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        form.files.push({ name: part.filename ?? '', text: data.toString('utf8') });
      } else if (typeof part.value === 'string') {
        form.fields[part.fieldname] = part.value;
      }
    }
  } catch (err) {
    const known = limitError(err);
    if (known) throw managementError(known.status, known.message);
    throw managementError(400, `invalid multipart form: ${(err as Error).message}`);
  }
  return form;
}
