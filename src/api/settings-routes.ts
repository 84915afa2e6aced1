/**
 * /api/settings/handoff — 转人工: the phrases customers use to ask for a person, after how many
 * unmatched messages WeReply hands off by itself, and what the customer is told.
 */
import type { FastifyInstance } from 'fastify';
import type { HandoffSettings } from '../rules/rule.js';
import { handoffSettingsSchema } from '../rules/rule-schema.js';
import { handoffSettings, saveHandoffSettings } from '../store/rules-repo.js';
import type { Services } from '../services.js';

export async function settingsRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.get('/api/settings/handoff', { schema: { tags: ['settings'], summary: '转人工 settings', response: { 200: handoffSettingsSchema } } }, async () =>
    handoffSettings(s.store.db),
  );

  app.put<{ Body: HandoffSettings }>(
    '/api/settings/handoff',
    { schema: { tags: ['settings'], summary: 'Change the 转人工 settings', body: handoffSettingsSchema, response: { 200: handoffSettingsSchema } } },
    async (req) => {
      const settings: HandoffSettings = { ...req.body, phrases: [...new Set(req.body.phrases.map((p) => p.trim()).filter(Boolean))] };
      await saveHandoffSettings(s.store.db, settings);
      s.rules.invalidate();
      return settings;
    },
  );
}
