/**
 * Demo data for `npm start` without WeCom settings: rules that show every match kind and reply type,
 * a 测试账号 and two small materials. Loaded once into demo mode's own database (demo.sqlite); the
 * marker it leaves makes WeCom mode refuse the database (store/demo-data.ts).
 */
import zlib from 'node:zlib';
import type { Kysely } from 'kysely';
import { checkMaterial } from '../materials/media-rules.js';
import type { MaterialStore } from '../materials/material-store.js';
import type { Database } from '../store/schema.js';
import { insertRule } from '../store/rules-repo.js';
import { DEFAULT_COMPLAINT_PHRASES, type RoutingConfig } from '../routing/model.js';
import { saveRouting } from '../store/routing-repo.js';
import { resolveRuleFields, type RuleInput } from '../rules/validate-rule.js';
import { writeDesks } from '../store/desk-repo.js';

import { DEMO_KF, DEMO_SEEDED_KEY, DEMO_TEST_ACCOUNT } from '../store/demo-data.js';

export { DEMO_KF, DEMO_TEST_ACCOUNT };
export const DEMO_CUSTOMER = 'wmDemoCustomer0001';

export async function seedDemo(db: Kysely<Database>, materials: MaterialStore): Promise<boolean> {
  const seeded = await db.selectFrom('settings').select('value').where('key', '=', DEMO_SEEDED_KEY).executeTakeFirst();
  if (seeded) return false;
  const now = Date.now();

  const png = tinyPng();
  const image = await materials.save(png, '退货流程.png', await checkMaterial(png, '退货流程.png'));
  const pdf = tinyPdf('WeReply demo price list');
  const brochure = await materials.save(pdf, '价目表.pdf', await checkMaterial(pdf, '价目表.pdf'));

  const rules: RuleInput[] = [
    {
      name: '退货退款',
      priority: 100,
      match: { any: ['退货', '退款', '七天无理由'], none: ['不退', '已经退'] },
      reply: [
        { type: 'text', text: '您好，退货请在“我的订单”中点击“申请售后”，填写原因后按流程寄回即可，运费险会自动理赔。' },
        { type: 'image', material_id: image.id },
      ],
    },
    { name: '物流查询', priority: 90, match: { any: ['物流', '快递', '发货', '到哪了'] }, reply: [{ type: 'text', text: '发货后 24 小时内会更新物流信息，您可以在订单详情页查看快递单号。' }] },
    {
      name: '会员价格',
      priority: 80,
      match: { all: ['价格', '会员'] },
      reply: [{ type: 'text', text: '会员价在商品页直接显示，开通会员后下单自动生效。' }],
    },
    { name: '价目表（#价目表 命令）', priority: 70, match: { command: ['价目表'] }, reply: [{ type: 'text', text: '这是最新价目表：' }, { type: 'file', material_id: brochure.id }] },
    { name: '发票', priority: 60, match: { exact: ['发票', '开发票', '开票'] }, reply: [{ type: 'link', title: '电子发票申请', desc: '填写抬头与税号，1 个工作日内开具', url: 'https://example.com/invoice', thumb_material_id: image.id }] },
    { name: '订单号查询', priority: 50, match: { regex: ['^(订单|单号)?\\s*\\d{12,20}$'] }, reply: [{ type: 'text', text: '已收到您的订单号，正在为您查询，请稍候。' }] },
    {
      name: '售后菜单',
      priority: 40,
      match: { any: ['售后', '维修', '保修'] },
      reply: [
        {
          type: 'menu',
          head: '请选择售后类型：',
          items: [
            { type: 'click', id: 'repair', content: '维修' },
            { type: 'click', id: 'exchange', content: '换货' },
            { type: 'view', url: 'https://example.com/warranty', content: '保修政策' },
          ],
          tail: '也可以直接描述您的问题',
        },
      ],
    },
    { name: '双十一活动（草稿，仅测试账号）', priority: 30, status: 'draft', match: { any: ['双十一', '活动'] }, reply: [{ type: 'text', text: '双十一活动：全场满 300 减 40，11 月 11 日 0 点开始。' }] },
    {
      name: '收到消息回复（工作时间）',
      kind: 'any_message',
      priority: 10,
      cooldown_seconds: 600,
      active_hours: { weekdays: [1, 2, 3, 4, 5, 6, 7], ranges: [{ start: '09:00', end: '21:00' }] },
      reply: [{ type: 'text', text: '您好，已收到您的消息，客服会尽快回复您。' }],
    },
    {
      name: '收到消息回复（非工作时间）',
      kind: 'any_message',
      priority: 5,
      cooldown_seconds: 1800,
      active_hours: { weekdays: [1, 2, 3, 4, 5, 6, 7], ranges: [{ start: '09:00', end: '21:00' }], invert: true },
      reply: [{ type: 'text', text: '您好，现在是非工作时间（09:00–21:00），我们上班后第一时间回复您。' }],
    },
    {
      name: '欢迎语',
      kind: 'welcome',
      reply: [
        {
          type: 'menu',
          head: '欢迎光临！请问需要什么帮助？',
          items: [
            { type: 'click', id: 'refund', content: '退货退款' },
            { type: 'click', id: 'logistics', content: '物流查询' },
            { type: 'click', id: 'invoice', content: '发票' },
          ],
        },
      ],
    },
  ];
  for (const r of rules) await insertRule(db, resolveRuleFields(r), now);

  // 接待人员 of the demo kf account (the bundled mock lists them) and a routing configuration:
  // 售后 words go to the after-sales group, everything else to the general group.
  const servicers = [
    { userid: 'mock_servicer_1a', name: '小王（售后）', supervisor: 0 },
    { userid: 'mock_servicer_1b', name: '李主管', supervisor: 1 },
  ];
  for (const sv of servicers) {
    await db
      .insertInto('servicers')
      .values({ ...sv, open_kfids: JSON.stringify([DEMO_KF]), groups: '[]', reception_cap: 5, status: 'active', receiving: 1, timezone: 'Asia/Shanghai', shift: null, created_at: now, updated_at: now })
      .execute();
  }
  const routing: RoutingConfig = {
    groups: [
      { id: 'after-sales', name: '售后组', members: ['mock_servicer_1a'], strategy: 'round_robin' },
      { id: 'general', name: '综合组', members: ['mock_servicer_1a', 'mock_servicer_1b'], strategy: 'least_busy' },
    ],
    tree: {
      timezone: 'Asia/Shanghai',
      nodes: [
        { id: 'after-sales', name: '售后', when: { keywords: { any: ['维修', '售后', '坏了', '退货'] } }, then: { group: 'after-sales' } },
        { id: 'default', name: '其他', when: {}, then: { group: 'general' } },
      ],
    },
    complaintPhrases: DEFAULT_COMPLAINT_PHRASES,
  };
  await saveRouting(db, routing, 'demo', 'demo routing');
  // The demo account answers in WeReply's inbox (the WeReply desk): the demo agent, linked to
  // servicer mock_servicer_1a, signs in, switches to 在线 and answers there.
  await writeDesks(db, { default: 'wecom', accounts: { [DEMO_KF]: 'wereply' }, groups: {} });
  await db.insertInto('customers').values({ external_userid: DEMO_TEST_ACCOUNT, test_account: 1, name: '测试账号', created_at: now, updated_at: now }).execute();
  await db.insertInto('settings').values({ key: DEMO_SEEDED_KEY, value: String(now) }).execute();
  return true;
}

/** An 8×8 PNG made here, so the demo ships no binary files. */
function tinyPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(8, 0);
  ihdr.writeUInt32BE(8, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const rows = Buffer.concat(Array.from({ length: 8 }, () => Buffer.from([0, ...Array.from({ length: 8 }, () => [7, 193, 96]).flat()])));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** A one-page PDF with a line of text. */
function tinyPdf(text: string): Buffer {
  const stream = `BT /F1 18 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

