/**
 * Phrase patterns of the shipped library: risky claims that a word list cannot cover because a part
 * of them varies (a number, a person, a product). Each pattern is one `RiskWord` with `anchors` (the
 * fixed part, found by the scanner's automaton like any word) and a `before`/`after` context that must
 * surround the anchor (a regular expression over the skeleton: simplified, lower-case, spaces and
 * punctuation dropped; digits, %, and sentence ends 。！？； kept). Only an anchor hit pays for the
 * context check, so a text without anchors costs nothing extra.
 *
 * Sources (what each family covers, see src/compliance/README.md):
 * - 《广告法》第二十四条 (教育培训: 升学、通过考试、取得证书、培训效果的保证性承诺; 考试机构/命题人员参与)
 * - 《广告法》第四条、第二十八条 (虚假承诺: 功效、效果、期限的断言), 第十六~十八条 (医疗、保健: 疾病治疗功能、
 *   功效断言、与药品比较), 第二十五条 (投资收益: 保本、保收益、无风险、收益承诺)
 * - 《广告法》第九条第三项 and 市场监管总局《广告绝对化用语执法指南》(2023): 与同类比较的绝对优越
 * - 微信平台运营规范 (诱导分享: 以奖励诱导分享给 N 位好友、转发到 N 个群、集赞)
 *
 * Context rules keep ordinary replies quiet: a guarantee word must come right before the outcome (only a
 * person or "能/可以/一次" may stand between), so "确保您的包裹安全" or "保证金" never match; a time span
 * must be followed by an effect, not by 发货/到账/有效期; negation still applies ("不保证录取").
 */
import type { RiskSeverity, RiskWord } from '../risk-words.js';

/** A number as written (after folding: full-width digits, 〇/零, 壹贰叁 are already digits or numerals). */
const N = '(?:[0-9]+|[一二两三四五六七八九十百千万几半]+)';
/** A guarantee: the words an author uses to promise an outcome. */
const G = '(?:保证|确保|担保|承诺|保障|保底|包您|包你|保您|保你|管保|准保|一定能|一定会|一定|肯定能|肯定会|肯定|绝对能|绝对会|绝对|必定|必然|必能|铁定|百分百|百分之百|100%|稳稳|稳)';
/** What may stand between a guarantee and the outcome: a person, "能/可以", "一次/顺利", "三个月内". */
const P = `(?:让|使|帮|帮助|您|你|孩子|宝宝|学员|学生|考生|客户|大家|每个人|每位|都|能|可以|会|就|也|一次|顺利|轻松|成功|一定|每个月|每月|每天|每年|每周|${N}(?:个)?(?:天|周|月|年)(?:内|之内)?)*`;
/** What a time span may be about before its effect: 一周皮肤就白了, 一年收益翻一番. */
const S = '(?:成绩|课程成绩|分数|皮肤|脸|脸色|肤色|肤质|斑点|色斑|痘痘|痘印|皱纹|体重|肚子|小肚子|腰围|身材|头发|白发|头皮|收益|本金|资产|利润|钱)?';
/** A span of time or of uses: 三天, 7日内, 一个疗程, 两盒, 15分钟后, 第二天. */
const T = `(?:第?${N}(?:个)?(?:天|日|晚上|晚|夜|觉|周|星期|礼拜|月|年|次|疗程|小时|钟头|分钟|秒|贴|盒|瓶|粒|袋|周期|期|节课|堂课|课时|下|回|遍|口)|第二天|隔天|当天|当晚|次日|早上起来|一觉醒来|睡一觉)(?:内|之内|以内|左右|后|之后|以后)?${S}(?:就|即|便|马上|立刻|立即|立马|都|也)*(?:能|可|可以|会|开始|明显)*`;
/** Using the product followed by "at once": 吃了就, 用完马上, 贴上立刻, 一抹就. */
const C = '(?:(?:吃|喝|用|贴|抹|涂|敷|戴|泡|服|擦|喷|揉|按|练)(?:了|完|上|过)?(?:以后|之后|后)?(?:皮肤|脸|肚子|痘痘|斑|关节|腰|头|嗓子|鼻子|眼睛|血压|血糖)?(?:就|马上|立刻|立马|立即|当天|当场|秒|即刻|瞬间|很快)+(?:能|可以|会)*|一(?:吃|喝|用|贴|抹|涂|喷|擦|按|敷)就(?:能|会)*)';

/** Diseases and symptoms (a product that claims to treat them makes a medical claim, 第十七条). */
const DISEASES =
  '前列腺/结石/血管堵塞/高血压/糖尿病/痛风/失眠/便秘/湿疹/鼻炎/咽炎/胃病/胃炎/颈椎病/腰椎病/腰间盘突出/腰椎间盘突出/关节炎/风湿/类风湿/哮喘/脱发/斑秃/白发/近视/弱视/散光/痔疮/脂肪肝/前列腺炎/前列腺增生/妇科病/妇科炎症/不孕/不育/不孕不育/抑郁症/焦虑症/三高/高血脂/高尿酸/老寒腿/静脉曲张/骨质疏松/骨质增生/老花眼/口腔溃疡/牙周炎/牙周病/蛀牙/口臭/脚气/灰指甲/牛皮癣/银屑病/白癜风/皮炎/荨麻疹/痤疮/带状疱疹/疱疹/结节/甲状腺结节/乳腺增生/子宫肌瘤/宫颈炎/痛经/月经不调/更年期综合征/肿瘤/癌症/癌/囊肿/偏头痛/头晕/神经衰弱/心脏病/冠心病/心脑血管疾病/脑梗/中风/肝炎/乙肝/肾炎/肾结石/胆结石/肾虚/甲亢/甲减/贫血/支气管炎/肺炎/结膜炎/干眼症/青光眼/白内障/中耳炎/耳鸣/鼻窦炎/扁桃体炎/胃溃疡/胃酸/反流/肠炎/结肠炎/腹泻/肥胖症/腰肌劳损/肩周炎/滑膜炎/腱鞘炎/狐臭/阳痿/早泄/老年痴呆/帕金森/癫痫/自闭症/多动症/咳嗽/感冒/发烧/过敏/鼻塞/头疼/头痛/牙疼/牙痛/胃疼/胃痛/腰疼/腰痛/关节疼/关节痛';
/** Readings and organs that a health claim says will return to normal (血压就正常了). */
const READINGS = '血压/血糖/血脂/尿酸/胆固醇/颈椎/腰椎/关节/膝盖/肩膀/腰/胃/肠胃/嗓子/喉咙/鼻子/眼睛/视力/睡眠/炎症/伤口/疤痕';
/** Body parts whose look a beauty or weight claim says will change (小肚子就没了). */
const BODY = '(?:小肚腩|啤酒肚|水桶腰|大象腿|蝴蝶袖|马甲线|蜜桃臀|小蛮腰|好身材|少女身材|产前身材|a4腰|直角肩|筷子腿|鱼尾纹|肌肤|小肚子|肚子|赘肉|肚腩|腰|腰围|大腿|小腿|脸|双下巴|皮肤|斑|斑点|色斑|雀斑|黄褐斑|痘痘|痘印|皱纹|细纹|黑眼圈|眼袋|法令纹|毛孔|黑头|脂肪|拜拜肉|头屑|白发|肤色|肤质|脸色)';

interface PatternLine {
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

const EDU = '《广告法》第二十四条禁止对升学、通过考试、取得证书或培训效果作出保证性承诺';
const EFFECT = '对功效或效果作出保证，属于虚假或引人误解的宣传（《广告法》第四条、第二十八条）';
const MEDICAL = '普通商品、保健食品不得宣称疾病治疗或功效断言（《广告法》第十七条、第十八条）';
const FINANCE = '投资理财宣传不得对收益作出保证性承诺（《广告法》第二十五条）';
const SHARE = '以奖励要求分享给指定人数的好友、群或集赞，属于微信平台禁止的诱导分享';
const COMPARE = '宣称优于所有同类、贬低同行，属于《广告法》第九条、第十三条禁止的绝对化用语和贬低他人';
const FOREVER = '"永远""永久"类承诺无法兑现，属于绝对化用语和虚假承诺';

const LINES: PatternLine[] = [
  {
    id: 'promise:pattern:保证升学考试结果',
    name: '保证+升学/考试结果',
    category: '虚假承诺',
    severity: 'block',
    reason: EDU,
    suggestions: ['针对性辅导', '系统提升'],
    anchors: '考上/考进/考入/考取/录取/上岸/拿证/拿到证/拿到证书/取得证书/考过/过关/及格/通过考试/考试通过/通过面试/面试通过/提分/涨分/提高成绩/提高分数/就业/找到工作/过级/通关/上名校/上重点/进名校/过四级/过六级/过专四/过专八/过雅思/过托福/过国考/过线/拿驾照/拿到驾照/拿下驾照/考下驾照/拿到学位/拿到毕业证/考得上/考得过/考得进/过得了/上得了/拿得到证/毕业/顺利毕业/月薪/年薪/高薪/薪资/收入翻倍/月入/进重点班/进重点/上重点班/进实验班/进尖子班/拿下/结业/结业拿证',
    before: `${G}${P}$`,
  },
  {
    id: 'promise:pattern:保证通过',
    name: '保证+通过',
    category: '虚假承诺',
    severity: 'block',
    reason: EDU,
    suggestions: ['针对性辅导'],
    anchors: '通过',
    before: `${G}${P}$`,
    after: '^(?!快递|顺丰|物流|邮件|邮箱|短信|微信|电话|银行|支付宝|平台|链接|官网|app|小程序|客服|后台|订单|系统|以下|下方|页面|海关|安检|质检|这|该)',
  },
  {
    id: 'promise:pattern:保证提分',
    name: '保证/期限+提高N分',
    category: '虚假承诺',
    severity: 'block',
    reason: EDU,
    suggestions: ['系统提升'],
    anchors: '提高/提升/提/涨/多考',
    before: `(?:${G}${P}|${T}|保)$`,
    after: `^(?:了)?${N}(?:多)?(?:分|个等级|个档次|个档|个名次|名)`,
  },
  {
    id: 'promise:pattern:成绩保证提升',
    name: '成绩保证提升',
    category: '虚假承诺',
    severity: 'block',
    reason: EDU,
    suggestions: ['系统提升'],
    anchors: '提升/提高/进步/上升/上涨/翻倍',
    before: `(?:成绩|分数|排名|名次|分)${P}${G}${P}$`,
  },
  {
    id: 'promise:pattern:保证功效',
    name: '保证+瘦/白/长高等功效',
    category: '虚假承诺',
    severity: 'block',
    reason: EFFECT,
    suggestions: ['效果因人而异'],
    anchors: '瘦/变瘦/瘦下来/掉秤/变白/美白/白回来/长高/增高/见效/起效/有效果/祛痘/去痘/祛斑/去斑/淡斑/去皱/除皱/变年轻/回春',
    before: `${G}${P}$`,
  },
  {
    id: 'promise:pattern:期限见效',
    name: 'N天/N次+见效',
    category: '虚假承诺',
    severity: 'block',
    reason: EFFECT,
    suggestions: ['效果因人而异'],
    anchors: '见效/起效/显效/有效果/看到效果/见到效果/出效果/效果明显/效果显著/瘦/变瘦/掉秤/变白/白了/美白/长高/年轻/变美/淡斑/祛斑/去皱/祛痘/去痘/痘痘消失/毛孔消失/消了/消退/不见了/淡了/去黑头/去眼袋/去黑眼圈/去法令纹/去妊娠纹/去疤/祛疤/去痘印/淡化/变嫩/白嫩/水嫩/紧致/看到变化/看到明显变化/明显变化/有变化/考上/上岸/拿到证/拿证/通过考试/考过/录取',
    // Not after washing or wearing ("洗了三次就变白了" is a complaint) or a wish ("祝您一次通过考试").
    before: `(?<!洗|洗了|洗过|穿|穿了|穿过|晒|晒了|祝|祝您|祝你|希望|争取|预祝|愿您|愿你|盼)${T}$`,
  },
  {
    id: 'promise:pattern:期限部位见效',
    name: 'N天+小肚子就没了',
    category: '虚假承诺',
    severity: 'block',
    reason: EFFECT,
    suggestions: ['效果因人而异'],
    anchors: '没了/消失/不见了/平了/小了/瘦了/细了/紧致了/亮了/白了/淡了/消了/变小/变细/变亮/紧了',
    before: `${T}${BODY}(?:就|都|也|马上|立刻|明显|全部|全|统统)*(?:能|会)?$`,
  },
  {
    id: 'promise:pattern:考上稳了',
    name: '考上/985稳了',
    category: '虚假承诺',
    severity: 'block',
    reason: EDU,
    suggestions: ['针对性辅导'],
    anchors: '稳稳的/稳了/妥妥的/没问题/不是问题/稳拿',
    before: '(?:考上|上岸|录取|985|211|名校|重点|清北|一本|本科|考研|考公|考编|四级|六级|雅思|托福|驾照|证书|拿证|过关|提分)(?:肯定|绝对|一定|都|也|就)*$',
  },
  {
    id: 'promise:pattern:用了就见效',
    name: '吃了/用了就+见效',
    category: '虚假承诺',
    severity: 'block',
    reason: EFFECT,
    suggestions: ['效果因人而异'],
    anchors: '见效/起效/有效果/看到效果/见到效果/管用/瘦/变瘦/掉秤/变白/白了/变嫩/白嫩/水嫩/紧致/亮了/透亮/白一个度/白两个度/白回来/长高/年轻/变美/回春',
    before: `${C}$`,
  },
  {
    id: 'promise:pattern:用了就白',
    name: '用了就白',
    category: '虚假承诺',
    severity: 'block',
    reason: EFFECT,
    suggestions: ['效果因人而异'],
    anchors: '白',
    before: `${C}$`,
    after: '^(?:了|[一二两三几0-9]+个?度|回来|(?=[。！？；!?;]|$))',
  },
  {
    id: 'promise:pattern:减重数字',
    name: '瘦/减N斤',
    category: '虚假承诺',
    severity: 'block',
    reason: EFFECT,
    suggestions: ['科学管理体重'],
    anchors: '斤/公斤/kg/磅/厘米/cm',
    before: `(?:瘦|减|掉|甩|甩掉|减掉|瘦掉|瘦了|减了|掉了|长高|增高)${N}(?:多)?$`,
  },
  {
    id: 'medical:pattern:用了就好',
    name: '吃了/用了就+不疼/睡着等疗效',
    category: '医疗功效',
    severity: 'block',
    reason: MEDICAL,
    suggestions: ['删去功效，改为描述成分或使用感受'],
    anchors: '不疼/不痛/不痒/不咳/不咳嗽/不失眠/睡着/痊愈/康复/消肿/退烧/止痛/止咳/止痒/降压/降糖/降下来/不复发/治好/见好/不便秘/症状消失/不头疼/不头痛/怀上/怀孕/受孕/好孕/怀上宝宝/通了/不堵了/不酸了',
    before: `(?:${C}|${T})$`,
  },
  {
    id: 'medical:pattern:病症改善',
    name: '病症+就好/就正常',
    category: '医疗功效',
    severity: 'block',
    reason: MEDICAL,
    suggestions: ['删去功效，改为描述成分或使用感受'],
    anchors:
      `${DISEASES}/${READINGS}`,
    after: '^(?:(?:都|也|马上|立刻|很快|就|一下子|明显|彻底|全|全部|统统|基本)+(?:能|会|可以)?(?:正常|稳|稳定|稳住|降|下降|下来|好了|好转|好多了|没了|消失|痊愈|康复|治好|根治|不犯|不复发|改善|缓解|减轻|解决|搞定|通了|通畅|不堵|不疼|不痛|不痒|不咳|不酸|没事了|不见了|消了|下去了)|(?:再也|从此|就再|再)(?:没|不|没有)(?:犯|复发|发作|疼|痛|咳|痒))',
  },
  {
    id: 'medical:pattern:治疗病症',
    name: '治/根治/预防+病症',
    category: '医疗功效',
    severity: 'block',
    reason: MEDICAL,
    suggestions: ['删去功效，改为描述成分或使用感受'],
    anchors:
      DISEASES,
    before: '(?<!正在|接受|如需|需要|在|已经)(?:治|治好|治疗|根治|治愈|专治|包治|主治|医治|能治|可治|防治|预防|逆转|消除|告别|摆脱|远离|辅助治疗|有效治疗|调理好|改善|缓解|调理|专攻|攻克|克制|对付|消灭|清除|打通|疏通|化解|溶解|化掉|(?:喝|吃|贴|泡|敷|涂|按|揉)(?:掉|走|跑|好|没|退|除))(?:各种|一切|所有|顽固性|顽固的?)?$',
  },
  {
    id: 'medical:pattern:对病症有效',
    name: '病症+有奇效/很管用',
    category: '医疗功效',
    severity: 'block',
    reason: MEDICAL,
    suggestions: ['删去功效，改为描述成分或使用感受'],
    anchors:
      DISEASES,
    after: '^(?:患者|病人|的人)?(?:都|也|很|非常|特别|真的)?(?:有效|管用|有奇效|有特效|有疗效|有效果|效果好|效果明显|效果显著|见效)(?!期)',
  },
  {
    id: 'finance:pattern:保证收益',
    name: '保证+收益/回本',
    category: '金融收益',
    severity: 'block',
    reason: FINANCE,
    suggestions: ['删去收益承诺，加上"投资有风险"提示'],
    anchors: '收益/回报/回本/赚钱/盈利/分红/翻倍/翻番/不亏/不赔/不亏本/赚回来/涨/大涨/上涨/涨停/升值/年化/利息/利润/不会亏/不会亏本/不会赔/不会亏损/亏不了/赔不了/稳赚',
    before: `${G}${P}$`,
    after: '^(?!价)',
  },
  {
    id: 'finance:pattern:固定收益率',
    name: '固定/每月+N%收益',
    category: '金融收益',
    severity: 'block',
    reason: FINANCE,
    suggestions: ['删去收益承诺，加上"投资有风险"提示'],
    anchors: '分红/收益/回报/利息/返息/返利/利润',
    before: `(?:固定|稳定|保底|稳拿|稳赚|稳稳|旱涝保收|每月|每个月|每天|每周|每年|按月|按天)(?:都)?(?:能|可以)?(?:固定|稳定)?(?:拿|领|获得|得到|享受|享|返|分|有|赚)?(?:到)?(?:[0-9]+%|${N}个点|${N}成)(?:的)?$`,
  },
  {
    id: 'finance:pattern:收益稳定在N%',
    name: '收益稳定在N%',
    category: '金融收益',
    severity: 'block',
    reason: FINANCE,
    suggestions: ['删去收益承诺，加上"投资有风险"提示'],
    anchors: '收益/回报/年化/利息/分红/收益率/回报率/利率',
    after: `^(?:率)?(?:稳定|保持|固定|保证|保底|稳|稳稳|每月|每年)+(?:在|达到|有)?(?:[0-9]+%|${N}个点)`,
  },
  {
    id: 'finance:pattern:期限翻倍',
    name: 'N年/N个月+翻倍',
    category: '金融收益',
    severity: 'block',
    reason: FINANCE,
    suggestions: ['删去收益承诺，加上"投资有风险"提示'],
    anchors: '翻倍/翻番/翻一番/翻两番/回本/赚回本金/翻几倍',
    before: `${T}$`,
  },
  {
    id: 'finance:pattern:期限翻N倍',
    name: 'N年+翻N倍',
    category: '金融收益',
    severity: 'block',
    reason: FINANCE,
    suggestions: ['删去收益承诺，加上"投资有风险"提示'],
    anchors: '翻',
    before: `${T}$`,
    after: `^(?:了)?(?:${N}倍|几倍)`,
  },
  {
    id: 'finance:pattern:本金安全',
    name: '本金+绝对安全',
    category: '金融收益',
    severity: 'block',
    reason: FINANCE,
    suggestions: ['投资有风险'],
    anchors: '本金',
    after: '^(?:绝对|百分百|100%|完全|肯定|保证|一定|都)*(?:安全|无忧|无风险|零风险|不会亏|不亏|不会损失|有保障|保本|能拿回|不会少)',
  },
  {
    id: 'share:pattern:分享给N个好友',
    name: '分享/转发给N个好友/群',
    category: '诱导分享',
    severity: 'block',
    reason: SHARE,
    suggestions: ['删去人数和奖励条件，改为自愿分享'],
    anchors: '好友/朋友/群/人/同学/宝妈/家长/亲友/闺蜜/联系人/新用户/用户/新人/新会员/会员/新朋友',
    before: `(?:分享|转发|转|发|推荐|邀请|邀|拉|叫上|喊上|带上|艾特|@|圈|发送|推送)(?:你的|您的)?(?:这条消息|这条|这个|这篇文章|文章|链接|海报|活动|二维码|视频|图片|截图|消息|小程序|新)?(?:给|到|至|进|入)?(?:身边的?)?(?:满|够|齐|足)?${N}(?:个|位|名)?(?:以上)?(?:微信|qq|好友)?$`,
    beforeEnds: '0123456789一二两三四五六七八九十百千万几半个位名上信q友',
  },
  {
    id: 'share:pattern:分享N次',
    name: '分享/转发N次',
    category: '诱导分享',
    severity: 'block',
    reason: SHARE,
    suggestions: ['删去次数和奖励条件，改为自愿分享'],
    anchors: '次',
    before: `(?:分享|转发)(?:给好友|到朋友圈|朋友圈)?(?:满|够)?${N}$`,
    beforeEnds: '0123456789一二两三四五六七八九十百千万几半',
  },
  {
    id: 'share:pattern:集N个赞',
    name: '集满N个赞',
    category: '诱导分享',
    severity: 'block',
    reason: SHARE,
    suggestions: ['删去集赞条件'],
    anchors: '赞',
    before: `(?:集|攒|收集|凑|点|获得|拿到|积)(?:满|够|齐|到)?${N}(?:个|条)?$`,
    beforeEnds: '0123456789一二两三四五六七八九十百千万几半个条',
  },
  {
    id: 'share:pattern:点赞满N',
    name: '点赞满N',
    category: '诱导分享',
    severity: 'block',
    reason: SHARE,
    suggestions: ['删去集赞条件'],
    anchors: '点赞/赞数',
    after: `^(?:数)?(?:满|达到|达|超过|过|够|破|到)${N}`,
  },
  {
    id: 'promise:pattern:通过率100%',
    name: '通过率/有效率100%',
    category: '虚假承诺',
    severity: 'block',
    reason: EFFECT,
    suggestions: ['通过率高（写明统计口径）'],
    anchors: '通过率/录取率/通关率/上岸率/过关率/就业率/拿证率/提分率/有效率/治愈率/成功率/好评率/满意率',
    after: '^(?:是|达到|达|高达|有|为|接近|稳居)?(?:100%|百分百|百分之百|99%|全部|遥遥领先|领先|第一|最高|行业第一|极高)',
  },
  {
    id: 'finance:pattern:至少涨N倍',
    name: '至少涨N倍',
    category: '金融收益',
    severity: 'block',
    reason: FINANCE,
    suggestions: ['删去收益承诺，加上"投资有风险"提示'],
    anchors: '涨/翻/升值/增值/赚',
    before: `(?:至少|起码|最少|保底|稳|${G}|${T})(?:能|会|就|可以|要)?$`,
    after: `^(?:了)?(?:${N}倍|几倍|${N}番)`,
  },
  {
    id: 'share:pattern:满N人送',
    name: '满N人就送',
    category: '诱导分享',
    severity: 'block',
    reason: SHARE,
    suggestions: ['删去人数和奖励条件'],
    anchors: '人',
    before: `(?:满|凑够|凑满|集齐|达到|够|拉够|邀满)${N}(?:个|位|名)?$`,
    after: '^(?:就|即|即可|可|可以|后)?(?:送|领|得|免费|免单|返|奖|减|赠|抽)',
    beforeEnds: '0123456789一二两三四五六七八九十百千万几半个位名',
  },
  {
    id: 'share:pattern:转发到群就送',
    name: '转发到群/朋友圈就送',
    category: '诱导分享',
    severity: 'block',
    reason: SHARE,
    suggestions: ['删去奖励条件，改为自愿分享'],
    anchors: '群/朋友圈/好友/朋友/家人/空间/微博',
    before: '(?:转发|分享|转|发|推荐)(?:这条消息|这条|这个链接|这个|链接|海报|活动|文章|二维码|视频|图片|小程序)?(?:到|给|至|进)?(?:家长|宝妈|微信|班级|业主|小区|同学|工作|亲友|qq|家族|老乡)?$',
    after: `^(?:里|中|后|以后|之后)?(?:并|再)?(?:截图|保留${N}(?:个)?(?:小时|天|分钟))?(?:发我|给我)?(?:就|即|即可|可|可以|才能|才可|就能|就可以|就有|便可)(?:送|领|得|获得|免费|返|抽奖|解锁|参与|领取|获取|拿到|有机会|奖励|赠)`,
  },
  {
    id: 'share:pattern:好评返现',
    name: '好评/晒图+返现',
    category: '诱导分享',
    severity: 'block',
    reason: '以返现、红包、礼品换取好评或晒图，属于诱导评价（《电子商务法》第十七条；微信平台规则）',
    suggestions: ['欢迎自愿评价'],
    anchors: '好评/五星/晒图/晒单/评价/追评/带图',
    after: '^(?:截图|后|并|再|带图|发我|发给我|给我|评价)*(?:立|即|就|可|立即|马上|再|可以)?(?:返|送|领|得|奖)(?:现|红包|钱|[0-9]|[一二三四五六七八九十两]|礼品|小礼物|赠品|优惠券)',
  },
  {
    id: 'share:pattern:朋友圈N天可领',
    name: '朋友圈转发N天可领',
    category: '诱导分享',
    severity: 'block',
    reason: SHARE,
    suggestions: ['删去奖励条件，改为自愿分享'],
    anchors: '朋友圈',
    after: `^(?:转发|分享|发|晒|保留|集赞)(?:${N}(?:个)?(?:天|小时|分钟))?(?:后|以上)?(?:就|即|即可|可|可以|才能)(?:领|送|得|返|免费|参与|抽奖)`,
  },
  {
    id: 'abs:pattern:公认最好',
    name: '公认最好',
    category: '绝对化用语',
    severity: 'block',
    reason: '《广告法》第九条禁止使用"最""第一"等绝对化用语',
    suggestions: ['删去该词，改用可证明的具体事实'],
    anchors: '公认',
    after: '^(?:的)?(?:最|第一|no1|n01|顶级|顶尖|领先|一流|最强|头部|老大|龙头)',
  },
  {
    id: 'abs:pattern:大会堂宴会用酒',
    name: '人民大会堂/国宴用',
    category: '绝对化用语',
    severity: 'block',
    reason: '《广告法》第九条第二项禁止使用或者变相使用国家机关的名义或者形象',
    suggestions: ['删除'],
    anchors: '人民大会堂/大会堂/中南海/钓鱼台/国宾馆/国宴/中央电视台',
    after: '^[^。！？；]{0,4}?(?:专用|专供|特供|指定|御用|用酒|用茶|用米|用油|用水|同款|招待|宴会|宴请|首选|推荐|上榜|认证|品牌)',
  },
  {
    id: 'medical:pattern:代替药物',
    name: '代替降压药/不用吃安眠药',
    category: '医疗功效',
    severity: 'block',
    reason: MEDICAL,
    suggestions: ['删除'],
    anchors: '药/药物/药品',
    before: '(?:代替|替代|取代|不用吃|不用再吃|不再吃|不需要吃|告别|停掉|停了|戒掉|甩掉|摆脱|远离)(?:各种|所有|西|中|降压|降糖|降脂|安眠|止痛|抗生素|激素|感冒|消炎|胃|头痛|助眠)?$',
  },
  {
    id: 'promise:pattern:提分不低于N分',
    name: '提分不低于N分',
    category: '虚假承诺',
    severity: 'block',
    reason: EDU,
    suggestions: ['系统提升'],
    anchors: '提分/提高/提升/涨分/进步',
    after: `^(?:不低于|至少|起码|最少|保底|不少于|保证)${N}(?:多)?(?:分|名)`,
  },
  {
    id: 'promise:pattern:考不上全退',
    name: '考不上…学费全退',
    category: '虚假承诺',
    severity: 'warn',
    reason: EDU,
    suggestions: ['未通过可按协议退费（写明条件）'],
    anchors: '考不上/没考上/不录取/没录取/考不过/没考过/不上岸/没上岸/学不会/拿不到证/不提分/没提分/不达标/没效果/无效',
    after: '^[^。！？；]{0,4}?(?:学费|费用|全款|报名费|钱)?(?:全退|全额退|退全款|退款|退费|退钱|不要钱|免费重读|免费重学|包退|双倍退|赔)',
  },
  {
    id: 'promise:pattern:期限告别小肚腩',
    name: 'N天告别小肚腩',
    category: '虚假承诺',
    severity: 'block',
    reason: EFFECT,
    suggestions: ['效果因人而异'],
    anchors: BODY.slice(3, -1).replace(/\|/g, '/'),
    before: `${T}(?:告别|远离|甩掉|摆脱|消灭|去掉|赶走|拥有|打造|练出|瘦出|收紧|消除|淡化|去除|恢复|回到|变回|重回|焕新)$`,
  },
  {
    id: 'promise:pattern:肌肤焕新',
    name: 'N天肌肤焕新/细纹全消',
    category: '虚假承诺',
    severity: 'block',
    reason: EFFECT,
    suggestions: ['效果因人而异'],
    anchors: '焕新/焕然一新/重生/逆龄/逆生长/冻龄/全消/全无/一扫而光/无影无踪/一扫光/全部消失/见证奇迹',
    before: `(?:${T}${BODY}?|${BODY})$`,
  },
  {
    id: 'promise:pattern:白一度',
    name: '白一度/越涂越白',
    category: '虚假承诺',
    severity: 'block',
    reason: EFFECT,
    suggestions: ['效果因人而异'],
    anchors: '白一度/白两度/白三度/白一个色号/白两个色号/白一个度/白两个度',
  },
  {
    id: 'medical:pattern:吃了不感冒',
    name: '吃了就不感冒',
    category: '医疗功效',
    severity: 'block',
    reason: MEDICAL,
    suggestions: ['删去功效，改为描述成分或使用感受'],
    anchors: '不感冒/不生病/不过敏/不发烧/不上火/不长痘/不掉发/不脱发/不失眠/不便秘/不咳嗽/不头疼/不犯病/不疼了/不痛了/不酸了',
    before: '(?:吃|喝|用|贴|抹|涂|敷|戴|泡|服|擦|喷)(?:了|完|上|过)?(?:以后|之后|后)?(?:就|再也|都|也|从此|再)?$',
  },
  {
    id: 'finance:pattern:年化N%',
    name: '年化N%（无风险提示）',
    category: '金融收益',
    severity: 'warn',
    reason: FINANCE,
    suggestions: ['历史年化收益（附风险提示）'],
    anchors: '年化/月化/日化',
    after: `^(?:收益|收益率|回报|回报率)?(?:高达|可达|达到|达|稳定|保底|固定|超过|不低于)?(?:[0-9]+%|${N}个点)`,
  },
  {
    id: 'finance:pattern:收益远超银行',
    name: '收益远超银行',
    category: '金融收益',
    severity: 'warn',
    reason: FINANCE,
    suggestions: ['删去比较，加上"投资有风险"提示'],
    anchors: '银行/余额宝/存款/定期/存银行',
    before: '(?:收益|收益率|回报|利息|回报率)(?:远超|远远超过|超过|高于|远高于|是|比|秒杀|吊打)$',
  },
  {
    id: 'share:pattern:邀请好友下单返现',
    name: '邀请好友下单返现',
    category: '诱导分享',
    severity: 'block',
    reason: SHARE,
    suggestions: ['删去奖励条件，改为自愿推荐'],
    anchors: '邀请/推荐/介绍/拉',
    after: `^(?:一位|一个|一名|${N}(?:位|个|名))?(?:新)?(?:好友|朋友|新人|客户|用户|亲友|同事|会员)(?:下单|注册|购买|消费|办卡|关注|进群|加入|成功)?(?:后|即|就|可|即可|成功)?(?:立|立即|马上)?(?:返现|返|奖励|送|得|赚|佣金|提成|获得|领)`,
  },
  {
    id: 'share:pattern:转发凭截图领取',
    name: '转发后凭截图领取',
    category: '诱导分享',
    severity: 'block',
    reason: SHARE,
    suggestions: ['删去奖励条件，改为自愿分享'],
    anchors: '截图',
    before: '(?:转发|分享|发|晒)[^。！？；]{0,8}?(?:凭|并|后|再)?$',
    after: '^[^。！？；]{0,6}?(?:领|送|兑换|抽奖|返|得|获得)',
  },
  {
    id: 'abs:pattern:实力的天花板',
    name: '颜值与实力的天花板',
    category: '绝对化用语',
    severity: 'warn',
    reason: '《广告法》第九条禁止使用"最""第一"等绝对化用语',
    suggestions: ['口碑好'],
    anchors: '天花板',
    before: '(?:颜值|实力|性价比|品质|口感|音质|画质|效果|行业|国货|护肤|彩妆|平价|价位|业界|界|圈|颜值与实力|颜值和实力)(?:的)?$',
  },
  {
    id: 'abs:pattern:终身享受免费',
    name: '终身享受免费服务',
    category: '绝对化用语',
    severity: 'warn',
    reason: FOREVER,
    suggestions: ['长期（写明期限）'],
    anchors: '永久/终身/终生/一辈子/永远',
    after: '^(?:都)?(?:享受|享有|享|可享|可以享受|可以|能)(?:免费|折扣|优惠|保修|质保|包换|会员|售后)',
  },
  {
    id: 'abs:pattern:媒体推荐',
    name: '央视/人民日报推荐',
    category: '绝对化用语',
    severity: 'block',
    reason: '借国家级媒体的名义作推荐、证明，暗示官方背书（《广告法》第九条、第二十八条）',
    suggestions: ['删除'],
    anchors: '央视/cctv/中央电视台/人民日报/新华社/新闻联播/光明日报',
    after: '^[0-9]{0,2}(?:都|也|曾|曾经|亲自|多次)*(?:上榜|推荐|力荐|认证|指定|合作|展播|点赞|报道|表扬|称赞|认可|播出|采访|专访)(?!过?吗|了吗|没有)',
  },
  {
    id: 'abs:pattern:优于所有同类',
    name: '超越/秒杀+所有同类',
    category: '绝对化用语',
    severity: 'block',
    reason: COMPARE,
    suggestions: ['写明可证明的具体优势，不与同类比较'],
    anchors: '超越/超过/胜过/优于/好于/强于/领先/碾压/秒杀/吊打/完爆/甩开/打败/击败/力压/赶超/完胜/干掉/pk掉/远超/远远超过/远胜/远高于/远好于/远优于/大幅领先/全面超越/全面领先/超出/完虐/暴打',
    after:
      '^(?:了)?(?:市面上|市场上|行业内|业内|国内外|全国|全球|全世界)?(?:的)?(?:(?:所有|一切|全部|任何|其他|其它|绝大多数|大部分|99%)(?:的)?(?:同类|同行|同级|竞品|别家|友商|对手|品牌|产品|商家|厂家|牌子)?|同类|同行|同级|竞品|别家|友商|对手|大牌|国际大牌|进口品牌|全网|全行业|全国|全城|所有人|一切对手)',
  },
  {
    id: 'abs:pattern:比所有同类都好',
    name: '比所有同类都好',
    category: '绝对化用语',
    severity: 'block',
    reason: COMPARE,
    suggestions: ['写明可证明的具体优势，不与同类比较'],
    anchors: '比',
    after:
      '^(?:市面上|市场上|行业内|业内)?(?:的)?(?:所有|任何|一切|其他|其它|别的|别家|同行|同类|大牌|国际大牌|进口品牌|专柜|名牌|一线品牌|一线大牌)(?:的)?(?:同类|同行|品牌|商家|店|家|牌子|产品|竞品|厂家)?[^。！？；]{0,6}?(?:(?:都|还)(?:要)?(?:好|强|便宜|低|实惠|划算|管用|优秀|出色|耐用|正宗)|(?:好|强|便宜|实惠|划算|管用|耐用)(?:太多|很多|得多|多了|一大截|[0-9一二两三几十]+倍))',
  },
  {
    id: 'abs:pattern:同行都比不上',
    name: '同行/别家都比不上',
    category: '绝对化用语',
    severity: 'block',
    reason: COMPARE,
    suggestions: ['写明可证明的具体优势，不与同类比较'],
    anchors: '比不上/不如/比不了/没法比/赶不上/无法相比/没得比/望尘莫及/甘拜下风',
    before: '(?:别家|别人家|其他家|其它家|其他品牌|其它品牌|其他商家|其他产品|同行|同类产品|同类|市面上的?|任何品牌|别的品牌|别的牌子|其他牌子|大牌|所有品牌)(?:的)?(?:产品|东西)?(?:都|全|统统|根本|完全|远远)*$',
  },
  {
    id: 'abs:pattern:没有比我们更好',
    name: '没有比我们更好的',
    category: '绝对化用语',
    severity: 'block',
    reason: COMPARE,
    suggestions: ['写明可证明的具体优势，不与同类比较'],
    anchors: '没有比/找不到比/没有谁比/没有哪家比/没有一家比/再也找不到比',
    after: '^(?:我们|我家|咱们|这款|这个|本店|它|这)(?:家)?(?:的)?[^。！？；]{0,4}?更(?:好|便宜|低|实惠|划算|专业|优惠|强|全|正宗|耐用)',
  },
  {
    id: 'abs:pattern:领导人都在用',
    name: '领导人+用过/推荐',
    category: '绝对化用语',
    severity: 'block',
    reason: '《广告法》第九条第二项禁止使用或者变相使用国家机关、国家机关工作人员的名义或者形象',
    suggestions: ['删除'],
    anchors: '领导人/国家领导/中央领导/主席/总理/首长/部长/省长/市长/国家机关/政府机关/机关单位/国家部委/部委/政府部门/政府/国务院/卫健委/事业单位',
    after: '^(?:们)?(?:(?:都|也|亲自|曾经|经常|一直|还|专门|指定)*(?:在)?(?:用|喝|吃|穿|戴|推荐|称赞|点赞|认可|使用|品尝|买|订|选)|(?:都|也)(?:在)?(?:采购|订购|选购))',
  },
  {
    id: 'abs:pattern:永不',
    name: '永不+变形/褪色/失效',
    category: '绝对化用语',
    severity: 'warn',
    reason: FOREVER,
    suggestions: ['写明保修或耐用年限'],
    anchors: '永不/永远不/永久不/终身不/一辈子不',
    after: '^(?:会)?(?:掉|坏|变|褪|锈|生锈|起球|过期|失效|反弹|复发|磨损|开裂|裂|发霉|腐|烂|断|漏|脱|老化|氧化|发黄|松|磨|缩水|塌|氧)',
  },
  {
    id: 'promise:pattern:包会',
    name: '包会',
    category: '虚假承诺',
    severity: 'block',
    reason: EDU,
    suggestions: ['系统教学'],
    anchors: '包会',
    // Not a bag or bread that "will…" (这个包会不会掉色, 面包会过期吗): only where a course ends.
    before: '(?<!面|书|钱|背|手|红|皮|挎|纸|礼|打|邮|菜|包|个|的)$',
    after: '^(?:为止|了|的|学会|(?=[。！？；!?;]|$))',
  },
  {
    id: 'abs:pattern:同行没有一家能做到',
    name: '同行没有一家能做到',
    category: '绝对化用语',
    severity: 'block',
    reason: COMPARE,
    suggestions: ['写明可证明的具体优势，不与同类比较'],
    anchors: '做到/比得上/比得过/超过/达到/做得到/赶得上/媲美/相比/相提并论/抗衡/匹敌',
    before: '(?:同行|别家|其他品牌|其它品牌|其他商家|其他家|市面上|市场上|同类产品|同类|业内|行业内|全网)(?:里|中|当中|的)?(?:没有一家|没有哪家|没有一个|没有谁|没人|没有人|谁都不|谁也不|都不|都没|根本不|都无法|无一|无人)(?:能|可以|敢|可)?$',
  },
  {
    id: 'abs:pattern:永远锋利',
    name: '永远+锋利/如新',
    category: '绝对化用语',
    severity: 'warn',
    reason: FOREVER,
    suggestions: ['写明保修或耐用年限'],
    anchors: '永远/永久/一辈子/永/终身',
    after: '^(?:都|保持)*(?:锋利|如新|崭新|年轻|保鲜|新鲜|鲜艳|亮丽|光亮|坚固|耐用|用不坏|穿不坏|坏不了|不用换|不用修)',
  },
  {
    id: 'abs:pattern:甩同行几条街',
    name: '甩同行几条街',
    category: '绝对化用语',
    severity: 'warn',
    reason: COMPARE,
    suggestions: ['写明可证明的具体优势，不与同类比较'],
    anchors: '几条街/几条马路',
    before: '甩(?:了|开|出)?[^。！？；!?;]{0,4}$',
  },
  {
    id: 'abs:pattern:永远不会坏',
    name: '永远不会+坏/褪色',
    category: '绝对化用语',
    severity: 'warn',
    reason: FOREVER,
    suggestions: ['写明保修或耐用年限'],
    anchors: '坏/掉/变形/褪色/掉色/生锈/起球/过期/失效/反弹/复发/磨损/开裂/发霉/变质/老化/损坏/断/掉漆/氧化/变黄/脱落/长回来/复胖',
    before: '(?:永远|永久|一辈子|终身|终生|永)(?:都)?(?:不会|不|不用|无需|不再|没有)$',
    beforeEnds: '会不用需再有',
  },
];

/** The pattern entries, in the shape every other library entry has. */
export const SHIPPED_PATTERNS: readonly RiskWord[] = LINES.map((l) => {
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
