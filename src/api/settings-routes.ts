/**
 * /api/settings/handoff — 转人工: the phrases customers use to ask for a person, after how many
 * unmatched messages WeReply hands off by itself, and what the customer is told.
 */
import type { FastifyInstance } from 'fastify';
import type { HandoffSettings } from '../rules/rule.js';
import { handoffSettingsSchema } from '../rules/rule-schema.js';
import { handoffSettings, saveHandoffSettings } from '../store/rules-repo.js';
import type { Services } from '../services.js';
import { type ComplianceOverride, complianceGate, complianceOverrideSchema, findingSchema } from './compliance-gate.js';

export async function settingsRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.get('/api/settings/handoff', { config: { permission: 'read' }, schema: { tags: ['settings'], summary: '转人工 settings', response: { 200: handoffSettingsSchema } } }, async () =>
    handoffSettings(s.store.db),
  );

  const body = { ...handoffSettingsSchema, properties: { ...handoffSettingsSchema.properties, compliance_override: complianceOverrideSchema } };
  const answer = { ...handoffSettingsSchema, properties: { ...handoffSettingsSchema.properties, compliance_warnings: { type: 'array', items: findingSchema } } };
  app.put<{ Body: HandoffSettings & { compliance_override?: ComplianceOverride } }>(
    '/api/settings/handoff',
    { config: { permission: 'rules:write' }, schema: { tags: ['settings'], summary: 'Change the 转人工 settings (the waiting message passes the compliance check)', body, response: { 200: answer } } },
    async (req) => {
      const { compliance_override: override, ...input } = req.body;
      const settings: HandoffSettings = { ...input, phrases: [...new Set(input.phrases.map((p) => p.trim()).filter(Boolean))] };
      const gate = await complianceGate(s, req, 'handoff_settings', 'handoff', [{ field: 'waiting_message', text: settings.waiting_message }], override);
      await saveHandoffSettings(s.store.db, settings);
      await gate.saved('handoff');
      s.rules.invalidate();
      return { ...settings, compliance_warnings: gate.warnings };
    },
  );
}
