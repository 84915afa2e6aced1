/**
 * The admin API takes `Authorization: Bearer <WEREPLY_ADMIN_TOKEN>`.
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export function requireAdminToken(app: FastifyInstance, adminToken: string): void {
  const expected = crypto.createHash('sha256').update(adminToken).digest();
  app.addHook('onRequest', async (req, reply) => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    const given = m ? crypto.createHash('sha256').update(m[1]!.trim()).digest() : undefined;
    if (!given || !crypto.timingSafeEqual(given, expected)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong admin token: send Authorization: Bearer <WEREPLY_ADMIN_TOKEN>' });
    }
  });
}
