/**
 * Deterministic corpus for benchmarks: a keyword dictionary and customer messages that look
 * like what a Chinese e-commerce / education customer-service desk (微信客服) receives.
 *
 * Everything is driven by a seeded PRNG, so two runs (or two benchmarks) with the same seed see
 * byte-identical inputs. Reused by the keyword-matching benchmark and later by the
 * callback-ingest benchmark (`makeMessages`).
 */

/** mulberry32: tiny, fast, good-enough 32-bit PRNG. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;

function pick<T>(rng: Rng, list: readonly T[]): T {
  const v = list[Math.floor(rng() * list.length)];
  if (v === undefined) throw new Error('pick from empty list');
  return v;
}

function int(rng: Rng, min: number, maxInclusive: number): number {
  return min + Math.floor(rng() * (maxInclusive - min + 1));
}

function digits(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(48 + Math.floor(rng() * 10));
  return s;
}

/** Fisher–Yates with the given PRNG (in place). */
function shuffle<T>(rng: Rng, list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = list[i] as T;
    list[i] = list[j] as T;
    list[j] = tmp;
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary. Core service terms combine with modifiers and products into dictionary entries.

/** Service topics a rule would key on (退货, 物流, 发票 …). */
const CORE = [
  '退货', '退款', '换货', '物流', '快递', '发货', '发票', '优惠', '价格', '会员', '积分', '订单',
  '售后', '保修', '维修', '客服', '投诉', '地址', '包邮', '运费', '尺码', '颜色', '库存', '预售',
  '付款', '支付', '分期', '开票', '课程', '报名', '试听', '学费', '退费', '老师', '班级', '教材',
  '考试', '证书', '直播', '回放', '账号', '密码', '登录', '注册', '充值', '提现', '余额', '红包',
  '拼团', '秒杀', '满减', '折扣', '赠品', '质量', '破损', '少件', '错发', '签收', '拒收', '取消',
  '催单', '到货', '上门', '安装', '自提', '门店', '保价', '差价', '返现', '押金', '定金', '尾款',
  '换新', '以旧换新', '延保', '补发', '丢件', '理赔', '核销', '兑换', '券码', '合同', '续费', '转班',
  '请假', '补课', '作业', '成绩', '排课', '优惠券', '代金券', '折扣码',
] as const;

/** Words that prefix a topic (七天 + 退货, 申请 + 退款 …). */
const PREFIX = [
  '七天', '无理由', '申请', '查询', '电子', '纸质', '增值税', '新人', '首单', '限时', '双十一',
  '618', '年货', '学生', '企业', '团购', '如何', '怎么', '加急', '修改', '极速', '全额', '部分',
  '延迟', '免费', '上门', '官方', '专属', '线下', '线上', '会员', '积分', '次日', '当日', '预约',
  '双11', '3期', '12期', '24小时', '48小时', '30天', '180天', '一年',
] as const;

/** Things people buy or enrol in. */
const PRODUCT = [
  '手机', '耳机', '充电器', '数据线', '平板', '电脑', '键盘', '鼠标', '衣服', '裤子', '鞋子', '面膜',
  '口红', '奶粉', '尿裤', '零食', '茶叶', '台灯', '冰箱', '空调', '洗衣机', '电视', '手表', '背包',
  '雅思', '托福', '考研', '英语', '数学', '编程', '钢琴', '书法', '绘画', '网课', '教辅', '词典',
] as const;

/** Words that follow a topic (退货 + 流程, 物流 + 进度 …). */
const SUFFIX = [
  '流程', '进度', '时间', '政策', '规则', '问题', '金额', '方式', '申请', '记录', '状态', '地址',
  '电话', '入口', '条件', '期限', '说明', '失败', '慢', '错误',
] as const;

/** English / mixed entries users really type ("vip", "iphone 15"). Already lower-case. */
const ENGLISH = [
  'vip', 'svip', 'iphone 15', 'iphone 15 pro', 'iphone 14', 'ipad', 'ipad air', 'macbook',
  'airpods', 'app', 'plus', 'pro max', 'wifi', 'pdf', 'sku', '5g', 'usb-c', 'type-c',
  'apple watch', 'switch', 'ps5', 'kindle', 'ielts', 'toefl', 'gre', 'ems', 'jd.com',
  'return', 'invoice', 'coupon', 'discount', 'delivery', 'tracking', 'vip会员',
  'plus会员', 'app下载', 'pdf发票', 'wifi密码', '5g套餐',
] as const;

/** A realistic keyword dictionary of `n` distinct, already-normalised entries (2–6 CJK chars, longer English). */
export function makeDictionary(n = 2300, seed = 20240611): string[] {
  const rng = mulberry32(seed);
  const pool = new Set<string>();
  for (const w of ENGLISH) pool.add(w);
  // Bare topics are only partly in the dictionary: real rule sets use specific phrases.
  for (const w of CORE) if (rng() < 0.08) pool.add(w);
  const combos: string[] = [];
  for (const p of PREFIX) for (const c of CORE) if (p !== c) combos.push(p + c);
  for (const c of CORE) for (const s of SUFFIX) combos.push(c + s);
  for (const p of PRODUCT) for (const c of CORE) combos.push(p + c);
  for (const p of PRODUCT) if (rng() < 0.3) combos.push(p);
  shuffle(rng, combos);
  const fits = (w: string): boolean => w.length >= 2 && w.length <= 6;
  const out: string[] = [...pool];
  for (const w of combos) {
    if (out.length >= n) break;
    if (fits(w) && !pool.has(w)) {
      pool.add(w);
      out.push(w);
    }
  }
  if (out.length < n) throw new Error(`makeDictionary: vocabulary only yields ${out.length} entries`);
  return shuffle(rng, out.slice(0, n));
}

// ---------------------------------------------------------------------------------------------
// Messages.

const GREETING = [
  '你好', '您好', '在吗', '在吗？', '亲，', '亲在吗', '老师好', 'hi', 'hello', '客服你好，',
  '你好，请问', '打扰一下，', '麻烦问下', '喂', '有人吗？', '早上好', '晚上好',
] as const;

const CLOSING = [
  '谢谢', '谢谢！', '谢谢啦😊', '麻烦了🙏', '好的', '好的，谢谢', '尽快回复，急！', '？？', '。。。',
  '👍', '辛苦了', '等你回复', 'ok', 'OK', 'thx', '', '', '',
] as const;

const EMOJI = ['😊', '👍', '🙏', '😭', '❤️', '🎉', '😡', '🤔', '👌', '😂'] as const;

const FILLER = [
  '我昨天下的单', '这个东西怎么用', '一直没人回', '你们这个活动还有吗', '帮我看一下', '能便宜点吗',
  '我朋友推荐来的', '收到了', '颜色和图片不一样', '尺寸偏小', '孩子很喜欢', '质量一般', '包装破了',
  '什么时候能到', '可以开专票吗', '地址填错了', '电话打不通', '周末有课吗', '怎么联系老师',
  '上次的问题还没解决', '帮我备注一下', '我在外地', '发错了', '少了一个配件', '能不能加急',
  '价格比别家贵', '买了两件', '今天能发吗', '要等多久', '系统显示异常', '支付不了', '登录不上去',
  '二维码过期了', '链接打不开', '群里的通知看不到', '课件在哪里下载', '怎么查看回放', '考试时间是几号',
] as const;

type Template = (rng: Rng) => string;

const TEMPLATES: readonly Template[] = [
  (r) => `我的订单${digits(r, int(r, 12, 19))}什么时候发货？`,
  (r) => `请问${pick(r, PRODUCT)}可以${pick(r, CORE)}吗`,
  (r) => `${pick(r, CORE)}怎么申请？`,
  (r) => `物流一直没更新，单号SF${digits(r, 12)}`,
  () => '发票抬头写错了能改吗',
  () => '优惠券用不了，提示已过期',
  (r) => `价格能便宜点吗${pick(r, EMOJI)}`,
  () => 'iPhone 15 还有货吗',
  () => 'ＶＩＰ会员有什么权益？',
  () => '我要退货！！',
  (r) => `收到的${pick(r, PRODUCT)}坏了，要求${pick(r, CORE)}`,
  (r) => `${pick(r, PRODUCT)}课程什么时候开课`,
  (r) => `手机号${'1' + pick(r, ['3', '5', '7', '8', '9']) + digits(r, 9)}，麻烦回电`,
  () => 'Hi, has my order shipped yet?',
  () => 'refund please, the item is broken',
  (r) => `${pick(r, FILLER)}，${pick(r, FILLER)}`,
  (r) => `${pick(r, FILLER)}${pick(r, EMOJI)}${pick(r, EMOJI)}`,
  (r) => `订单号：${digits(r, 18)}，${pick(r, FILLER)}`,
  (r) => `ＯＫ，${pick(r, FILLER)}`,
  (r) => `金额是${int(r, 1, 9999)}.${digits(r, 2)}元，对吗？`,
  () => '[图片]',
  () => '[语音]',
  (r) => `${pick(r, ['周一', '周三', '周五', '明天', '后天'])}${int(r, 8, 20)}点有空吗`,
  (r) => `第${int(r, 1, 30)}课的作业${pick(r, ['交不上去', '在哪看', '批改了吗'])}`,
  (r) => `我买的是${pick(r, ENGLISH)}，${pick(r, FILLER)}`,
];

/** Convert printable ASCII to full-width (what some phone keyboards emit): "OK" → "ＯＫ". */
function toFullWidth(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x21 && c <= 0x7e ? String.fromCharCode(c + 0xfee0) : c === 0x20 ? '\u3000' : s[i];
  }
  return out;
}

/** Cut to at most `max` UTF-16 code units without splitting a surrogate pair. */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return s.slice(0, end);
}

/**
 * `n` customer messages, 5–80 UTF-16 code units each: greetings, order/phone/tracking numbers,
 * questions about 退货/退款/物流/发票/优惠/价格, emoji, full-width characters, some English.
 * About a quarter contain a word of `dictionary` (inserted verbatim, sometimes upper-cased or
 * full-width so normalisation matters); the others may still hit by coincidence.
 */
export function makeMessages(
  n = 100_000,
  seed = 7,
  dictionary: readonly string[] = makeDictionary(),
): string[] {
  const rng = mulberry32(seed);
  const out: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    let msg = '';
    if (rng() < 0.45) msg += pick(rng, GREETING);
    const parts = int(rng, 1, 3);
    for (let p = 0; p < parts; p++) {
      if (p > 0) msg += pick(rng, ['，', ',', ' ', '。', '！', '？', '\n', '']);
      msg += pick(rng, TEMPLATES)(rng);
    }
    if (rng() < 0.25) {
      let word = pick(rng, dictionary);
      const style = rng();
      if (style < 0.1) word = word.toUpperCase();
      else if (style < 0.15) word = toFullWidth(word);
      const at = int(rng, 0, msg.length);
      // Insert at a code-point boundary.
      const pos = at > 0 && at < msg.length && msg.charCodeAt(at - 1) >= 0xd800 && msg.charCodeAt(at - 1) <= 0xdbff ? at - 1 : at;
      msg = msg.slice(0, pos) + word + msg.slice(pos);
    }
    msg += pick(rng, CLOSING);
    if (rng() < 0.05) msg = '  ' + msg + ' ';
    if (rng() < 0.04) msg = toFullWidth(msg);
    while (msg.length < 5) msg += pick(rng, CLOSING) || '嗯嗯';
    out[i] = clip(msg, 80);
  }
  return out;
}
