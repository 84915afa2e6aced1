/**
 * Building blocks of the shipped phrase patterns (`patterns.ts`): number, guarantee, time-span and
 * "use it and at once" expressions, the disease / reading / body-part lexicons, the reasons shown to
 * users, and the conversion of pattern lines into `RiskWord` entries.
 */
import type { RiskSeverity, RiskWord } from '../risk-words.js';

/** A number as written (after folding: full-width digits, 〇/零, 壹贰叁 are already digits or numerals). */
export const N = '(?:[0-9]+|[一二两三四五六七八九十百千万几半]+)';
/** A guarantee: the words an author uses to promise an outcome. */
export const G = '(?:保证|确保|担保|承诺|保障|保底|包您|包你|保您|保你|管保|准保|一定能|一定会|一定|肯定能|肯定会|肯定|绝对能|绝对会|绝对|必定|必然|必能|铁定|准能|准保|保准|指定能|妥妥的|妥妥|稳能|百分百|百分之百|100%|稳稳|稳)';
/** What may stand between a guarantee and the outcome: a person, "能/可以", "一次/顺利", "三个月内". */
export const P = `(?:每个|每一个|每一位|所有|让|使|帮|帮助|您|你|孩子|宝宝|学员|学生|考生|客户|大家|每个人|每位|都|能|可以|会|就|也|一次|顺利|轻松|成功|一定|每个月|每月|每天|每年|每周|期末|期中|中考|高考|考研|考试|这次|下次|明年|今年|${N}(?:个)?(?:天|周|月|年)(?:内|之内)?)*`;
/** What a time span may be about before its effect: 一周皮肤就白了, 一年收益翻一番. */
export const S = '(?:成绩|课程成绩|分数|皮肤|脸|脸色|肤色|肤质|斑点|色斑|痘痘|痘印|皱纹|体重|肚子|小肚子|腰围|身材|头发|白发|头皮|收益|本金|资产|利润|钱)?';
/** A span of time or of uses: 三天, 7日内, 一个疗程, 两盒, 15分钟后, 第二天. */
export const T = `(?:第?${N}(?:个)?(?:天|日|晚上|晚|夜|觉|周|星期|礼拜|月|年|次|疗程|小时|钟头|分钟|秒|贴|盒|瓶|粒|袋|周期|期|节课|堂课|课时|下|回|遍|口)|第二天|隔天|当天|当晚|次日|早上起来|一觉醒来|睡一觉)(?:内|之内|以内|左右|后|之后|以后)?${S}(?:就|即|便|马上|立刻|立即|立马|都|也)*(?:能|可|可以|会|开始|明显)*`;
/** Using the product followed by "at once": 吃了就, 用完马上, 贴上立刻, 一抹就. */
export const C = '(?:(?:吃|喝|用|贴|抹|涂|敷|戴|泡|服|擦|喷|揉|按|练)(?:了|完|上|过)?(?:以后|之后|后)?(?:皮肤|脸|肚子|痘痘|斑|关节|腰|头|嗓子|鼻子|眼睛|血压|血糖)?(?:就|马上|立刻|立马|立即|当天|当场|秒|即刻|瞬间|很快)+(?:能|可以|会)*|一(?:吃|喝|用|贴|抹|涂|喷|擦|按|敷)就(?:能|会)*)';

/** Diseases and symptoms (a product that claims to treat them makes a medical claim, 第十七条). */
export const DISEASES =
  '宫寒/湿气/湿气重/寒湿/体寒/气血不足/脾胃虚弱/脾虚/肝火旺/上火/虚火/阴虚/阳虚/痰湿/血瘀/前列腺/结石/血管堵塞/高血压/糖尿病/痛风/失眠/便秘/湿疹/鼻炎/咽炎/胃病/胃炎/颈椎病/腰椎病/腰间盘突出/腰椎间盘突出/关节炎/风湿/类风湿/哮喘/脱发/斑秃/白发/近视/弱视/散光/痔疮/脂肪肝/前列腺炎/前列腺增生/妇科病/妇科炎症/不孕/不育/不孕不育/抑郁症/焦虑症/三高/高血脂/高尿酸/老寒腿/静脉曲张/骨质疏松/骨质增生/老花眼/口腔溃疡/牙周炎/牙周病/蛀牙/口臭/脚气/灰指甲/牛皮癣/银屑病/白癜风/皮炎/荨麻疹/痤疮/带状疱疹/疱疹/结节/甲状腺结节/乳腺增生/子宫肌瘤/宫颈炎/痛经/月经不调/更年期综合征/肿瘤/癌症/癌/囊肿/偏头痛/头晕/神经衰弱/心脏病/冠心病/心脑血管疾病/脑梗/中风/肝炎/乙肝/肾炎/肾结石/胆结石/肾虚/甲亢/甲减/贫血/支气管炎/肺炎/结膜炎/干眼症/青光眼/白内障/中耳炎/耳鸣/鼻窦炎/扁桃体炎/胃溃疡/胃酸/反流/肠炎/结肠炎/腹泻/肥胖症/腰肌劳损/肩周炎/滑膜炎/腱鞘炎/狐臭/阳痿/早泄/老年痴呆/帕金森/癫痫/自闭症/多动症/咳嗽/感冒/发烧/过敏/鼻塞/头疼/头痛/牙疼/牙痛/胃疼/胃痛/腰疼/腰痛/关节疼/关节痛';
/** Readings and organs that a health claim says will return to normal (血压就正常了). */
export const READINGS = '肝功能/肾功能/血常规/各项指标/指标/血压/血糖/血脂/尿酸/胆固醇/颈椎/腰椎/关节/膝盖/肩膀/腰/胃/肠胃/嗓子/喉咙/鼻子/眼睛/视力/睡眠/炎症/伤口/疤痕';
/** Body parts whose look a beauty or weight claim says will change (小肚子就没了). */
export const BODY = '(?:黑头粉刺|粉刺|闭口|痘坑|头发|发际线|小肚腩|啤酒肚|水桶腰|大象腿|蝴蝶袖|马甲线|蜜桃臀|小蛮腰|好身材|少女身材|产前身材|a4腰|直角肩|筷子腿|鱼尾纹|肌肤|小肚子|肚子|赘肉|肚腩|腰|腰围|大腿|小腿|脸|双下巴|皮肤|斑|斑点|色斑|雀斑|黄褐斑|痘痘|痘印|皱纹|细纹|黑眼圈|眼袋|法令纹|毛孔|黑头|脂肪|拜拜肉|头屑|白发|肤色|肤质|脸色)';

/** One phrase pattern as written in the family files (see patterns.ts). */
export interface PatternLine {
  id: string;
  name: string;
  category: string;
  severity: RiskSeverity;
  reason: string;
  suggestions: string[];
  anchors: string;
  before?: string;
  after?: string;
  beforeEnds?: string;
}

export const EDU = '《广告法》第二十四条禁止对升学、通过考试、取得证书或培训效果作出保证性承诺';
export const EFFECT = '对功效或效果作出保证，属于虚假或引人误解的宣传（《广告法》第四条、第二十八条）';
export const MEDICAL = '普通商品、保健食品不得宣称疾病治疗或功效断言（《广告法》第十七条、第十八条）';
export const FINANCE = '投资理财宣传不得对收益作出保证性承诺（《广告法》第二十五条）';
export const SHARE = '以奖励要求分享给指定人数的好友、群或集赞，属于微信平台禁止的诱导分享';
export const COMPARE = '宣称优于所有同类、贬低同行，属于《广告法》第九条、第十三条禁止的绝对化用语和贬低他人';
export const FOREVER = '"永远""永久"类承诺无法兑现，属于绝对化用语和虚假承诺';

/** Pattern lines in the shape every other library entry has. */
export function toRiskWords(lines: readonly PatternLine[]): RiskWord[] {
  return lines.map((l) => {
    const w: RiskWord = {
      id: l.id,
      word: l.name,
      category: l.category,
      severity: l.severity,
      reason: l.reason,
      suggestions: l.suggestions,
      anchors: l.anchors.split('/'),
    };
    if (l.before !== undefined) w.before = l.before;
    if (l.after !== undefined) w.after = l.after;
    if (l.beforeEnds !== undefined) w.beforeEnds = l.beforeEnds;
    return w;
  });
}
