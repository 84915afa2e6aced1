/**
 * /api/materials — images, videos, voice and documents that replies send. Type checked by content,
 * WeCom's size limits enforced before anything is stored.
 */
import type { FastifyInstance } from 'fastify';
import { checkMaterial, MAX_BYTES, MaterialRejected, type MaterialKind } from '../materials/media-rules.js';
import type { Services } from '../services.js';
import { complianceGate, findingSchema } from './compliance-gate.js';
import { ApiError } from './http-errors.js';

const materialSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    kind: { type: 'string', enum: ['image', 'voice', 'video', 'file'] },
    filename: { type: 'string' },
    mime: { type: 'string' },
    size: { type: 'integer' },
    sha256: { type: 'string' },
    media_id_expires_at: { type: ['integer', 'null'], description: 'when the current WeCom media_id expires (renewed automatically before)' },
    created_at: { type: 'integer' },
    compliance_warnings: { type: 'array', items: findingSchema, description: 'risk words in the name of a file (PDF…) material, which the customer sees on file messages' },
  },
} as const;

const KINDS = new Set(['image', 'voice', 'video', 'file']);

export async function materialsRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.post(
    '/api/materials',
    {
      config: { permission: 'materials:write' },
      schema: {
        tags: ['materials'],
        summary:
          'Upload a material (multipart/form-data, field "file"; optional field "kind" = image|video|voice|file; optional "compliance_override_reason" to keep a file name with block-level risk words)',
        consumes: ['multipart/form-data'],
        response: { 201: materialSchema },
      },
    },
    async (req, reply) => {
      if (!req.isMultipart()) throw new ApiError(415, 'send the file as multipart/form-data in a field named "file"');
      let kind: MaterialKind | undefined;
      let overrideReason: string | undefined;
      let file: { filename: string; bytes: Buffer } | undefined;
      for await (const part of req.parts({ limits: { fileSize: MAX_BYTES.file + 1, files: 1 } })) {
        if (part.type === 'file') {
          const bytes = await part.toBuffer();
          if (part.file.truncated) throw new ApiError(413, `"${part.filename}" is larger than ${MAX_BYTES.file / 1024 / 1024} MB, the most WeCom accepts for any material`);
          file = { filename: part.filename || 'upload', bytes };
        } else if (part.fieldname === 'kind') {
          const v = String(part.value);
          if (!KINDS.has(v)) throw new ApiError(400, `kind must be one of image, video, voice, file; got "${v}"`, [{ field: 'kind', message: 'unknown kind' }]);
          kind = v as MaterialKind;
        } else if (part.fieldname === 'compliance_override_reason') {
          overrideReason = String(part.value).trim();
          if (overrideReason.length < 4) throw new ApiError(400, 'compliance_override_reason must say (in at least 4 characters) why the file name is allowed', [{ field: 'compliance_override_reason', message: 'too short' }]);
        }
      }
      if (!file) throw new ApiError(400, 'no file in the upload: use a form field named "file"', [{ field: 'file', message: 'is required' }]);
      try {
        const check = await checkMaterial(file.bytes, file.filename, kind);
        // File messages show the customer the file name ("最有效减肥方案.pdf"); images, videos and voice do not.
        const shown = check.kind === 'file' ? [{ field: 'file.filename', text: file.filename }] : [];
        const gate = await complianceGate(s, req, 'material', null, shown, overrideReason ? { reason: overrideReason } : undefined);
        const material = await s.materials.save(file.bytes, file.filename, check);
        await gate.saved(material.id);
        return reply.code(201).send({ ...material, compliance_warnings: gate.warnings });
      } catch (err) {
        if (err instanceof MaterialRejected) throw new ApiError(err.status, err.message, [{ field: 'file', message: err.message }]);
        throw err;
      }
    },
  );

  app.get('/api/materials', { config: { permission: 'read' }, schema: { tags: ['materials'], response: { 200: { type: 'array', items: materialSchema } } } }, async () => s.materials.list());

  app.get<{ Params: { id: number } }>(
    '/api/materials/:id',
    { config: { permission: 'read' }, schema: { tags: ['materials'], params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } } }, response: { 200: materialSchema } } },
    async (req) => {
      const m = await s.materials.get(req.params.id);
      if (!m) throw new ApiError(404, `material ${req.params.id} does not exist`);
      return m;
    },
  );
}
