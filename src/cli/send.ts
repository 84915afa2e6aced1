/**
 * `wereply send "我要退货"`: the demo walkthrough. A customer writes through the mock WeCom's control
 * API; the mock calls WeReply back exactly as WeCom would; the replies WeReply sends to the mock are printed.
 */
export async function sendCommand(text: string, o: { user?: string; mock?: string; timeout?: string }): Promise<number> {
  if (!text) {
    process.stderr.write('usage: wereply send "<customer message>" [--user ID] [--mock http://127.0.0.1:3001]\n');
    return 1;
  }
  const mock = (o.mock ?? process.env.MOCK_WECOM_URL ?? `http://127.0.0.1:${Number(process.env.PORT ?? 3000) + 1}`).replace(/\/+$/, '');
  const user = o.user ?? 'wmDemoCustomer0001';
  const timeoutMs = Number(o.timeout ?? 5000);
  let before: { at: number }[];
  try {
    before = await getJson(`${mock}/mock/sent?touser=${encodeURIComponent(user)}`);
  } catch (err) {
    process.stderr.write(`cannot reach the mock WeCom at ${mock} (${(err as Error).message}); is \`npm start\` running in demo mode?\n`);
    return 1;
  }
  const res = await fetch(`${mock}/mock/customer-message`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ external_userid: user, text }),
  });
  if (!res.ok) {
    process.stderr.write(`the mock refused the message: ${res.status} ${await res.text()}\n`);
    return 1;
  }
  process.stdout.write(`customer ${user}: ${text}\n`);
  const deadline = Date.now() + timeoutMs;
  let shown = before.length;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const sent: { errcode: number; body: Record<string, unknown> }[] = await getJson(`${mock}/mock/sent?touser=${encodeURIComponent(user)}`);
    for (const s of sent.slice(shown)) {
      const b = s.body;
      const type = String(b.msgtype);
      const content = type === 'text' ? (b.text as { content: string }).content : JSON.stringify(b[type]);
      process.stdout.write(`WeReply → ${type}: ${content}${s.errcode ? `  (WeCom errcode ${s.errcode})` : ''}\n`);
    }
    if (sent.length > shown) quietSince = Date.now();
    shown = sent.length;
    // Replies of one message go out together; a short quiet spell after the first means done.
    if (shown > before.length && Date.now() - quietSince > 700) break;
  }
  if (shown === before.length) process.stdout.write('(no reply: no rule matched, a cooldown applies, or WeReply is not running)\n');
  // 转人工: where the session is now in (mock) WeCom.
  const session = await getJson<{ service_state: number; servicer_userid: string }>(`${mock}/mock/session-state?external_userid=${encodeURIComponent(user)}`).catch(() => undefined);
  if (session?.service_state === 3) process.stdout.write(`WeCom: the session is now with servicer ${session.servicer_userid} (人工接待)\n`);
  else if (session?.service_state === 2) process.stdout.write('WeCom: the session waits in the pool for a servicer (待接入)\n');
  else if (session?.service_state === 1 && /转人工|人工/.test(text)) process.stdout.write('WeCom: the session stays with the API (state 1): at the WeReply desk an agent answers in the console inbox (在线 agents; otherwise it waits for one)\n');
  return 0;
}

async function getJson<T = any>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as T;
}
