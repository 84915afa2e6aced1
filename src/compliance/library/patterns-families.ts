/**
 * Shipped phrase patterns for families that would otherwise be compound lines of several hundred words
 * (an organ × a verb, a use × an outcome): one entry each, so the library stays under the word-file row
 * limit (exported and imported back as one file) and an organisation switches the whole family at once.
 * See patterns.ts for how patterns work.
 */
import { EFFECT, FOREVER, MEDICAL, type PatternLine, SHARE } from './pattern-parts.js';

const ORGAN = '《广告法》第九条第二项禁止使用或者变相使用国家机关、国家机关工作人员的名义或者形象';
const ABS = '《广告法》第九条禁止使用"最""第一""顶级"等绝对化用语';
const LUCK = '宣称佩戴、摆放可带来好运、辟邪，属于《广告法》第九条第八项禁止的迷信内容';
const WINE = '酒类广告不得含有诱导、怂恿饮酒的内容（《广告法》第二十三条）';
const CLEAN = '对清除、杀灭效果作绝对保证，属于虚假或引人误解的宣传（《广告法》第四条、第二十八条）';

export const FAMILY_PATTERNS: PatternLine[] = [
  {
    id: 'abs:pattern:机关推荐',
    name: '地方政府/机关+推荐/认证',
    category: '绝对化用语',
    severity: 'block',
    reason: ORGAN,
    suggestions: ['删除'],
    anchors: '区政府/市政府/县政府/省政府/镇政府/区人民政府/市人民政府/县人民政府/省人民政府/市监局/市场监督管理局/质监局/公安局/派出所/税务局/海关/药监部门/卫生局/卫健局/教育局/农业农村部/农业局/环保局/生态环境部/住建部/住建局/民政局/人社局/法院/检察院',
    after: '^(?:的)?(?:推荐的|认证的|指定的|推荐|指定|认证|认可|监制|特供|专供|授权|背书|担保|力荐|采购)',
  },
  {
    id: 'medical:pattern:降三高',
    name: '降/调节+三高/尿酸',
    category: '医疗功效',
    severity: 'block',
    reason: MEDICAL,
    suggestions: ['删除（普通食品不可宣称疾病治疗功能）'],
    anchors: '三高/血压/血糖/血脂/尿酸/胆固醇/血黏/血稠/血黏度/甘油三酯/转氨酶',
    before: '(?:辅助降|调节|调理|改善|降低|平稳|平衡|稳住|降下|压住|拉低|降|调)$',
  },
  {
    id: 'superstition:pattern:戴了好运来',
    name: '戴上/摆上+好运/辟邪',
    category: '迷信',
    severity: 'block',
    reason: LUCK,
    suggestions: ['寓意吉祥'],
    anchors: '好运来/好运连连/转运/开运/旺运/行大运/保平安/招财/聚财/旺财/招桃花/避邪/辟邪',
    before: '(?:戴了|戴上|带上|摆上|挂上|佩戴|摆了|放了|挂了)$',
  },
  {
    id: 'medical:pattern:女生也能放心喝',
    name: '女生/老人+放心喝（酒类）',
    category: '医疗功效',
    severity: 'block',
    reason: WINE,
    suggestions: ['删除（酒类广告不得诱导饮酒）'],
    anchors: '也可以放心喝/也能放心喝/都能放心喝/放心喝/都能喝/也能喝/也可以喝/随便喝/多喝点',
    before: '(?:女孩子|老年人|年轻人|女生|女士|女孩|老人|孕妇|学生|小孩|宝妈)$',
  },
  {
    id: 'promise:pattern:彻底除甲醛',
    name: '彻底/百分百+除甲醛/除螨',
    category: '虚假承诺',
    severity: 'block',
    reason: CLEAN,
    suggestions: ['写明检测条件和数据'],
    anchors: '除甲醛/除螨/杀菌/除菌/去甲醛/除臭/去异味/灭蟑/驱蚊/祛螨/除醛',
    before: '(?:百分之百|100%|百分百|一次性|彻底|完全|永久|根治|根除)$',
  },
  {
    id: 'share:pattern:关注并转发抽奖',
    name: '关注并转发+抽奖/送',
    category: '诱导分享',
    severity: 'block',
    reason: SHARE,
    suggestions: ['欢迎分享'],
    anchors: '关注并转发/关注加转发/转发并关注/点赞并转发/转发并点赞/关注并分享/分享并关注/关注和转发/转发和关注/关注转发评论/关注评论转发/转发评论点赞',
    after: '^(?:就|即|即可|可|可以|都|还)?(?:有礼|抽奖|领取|免单|抽|送|赢|领)',
  },
  {
    id: 'medical:pattern:一贴就好',
    name: '一贴/一抹+就好',
    category: '医疗功效',
    severity: 'block',
    reason: MEDICAL,
    suggestions: ['删除（普通商品不得宣称疗效）'],
    anchors: '就好/就好了/就灵/就不疼/就不痛/就消/病除/痛止/就止疼/就止痛',
    before: '(?:一贴|一抹|一喷|一涂|一敷|一按|一泡|贴上|抹上)$',
  },
  {
    id: 'abs:pattern:最+品质词',
    name: '最+美/优质/可靠等',
    category: '绝对化用语',
    severity: 'warn',
    reason: ABS,
    suggestions: ['删去该词，改用可证明的具体事实'],
    anchors: '最美/最漂亮/最美味/最香/最甜/最嫩/最白/最亮/最红/最潮/最优质/最优秀/最出色/最卓越/最高品质/最豪华/最奢华/最稳定/最可靠/最放心/最超值/最值钱/最保值/最灵/最灵验/最准/最精准/最正规/最地道/最纯/最纯净/最天然/最营养/最养生/最滋补/最舒服/最保暖/最透气/最轻薄/最轻便/最省电/最省心/最省事/最实用/最好卖/最抢手/最火爆/最爆款/最红火/最有名/最知名/最出名/最著名/最可信/最信赖/最懂你/最贴心/最合适/最适合/最低廉/最经济/最值得买/最值得信赖/最有性价比/最高性价比/最良心/最顶尖/最一流/最强大/最给力/最好使/最管用/最耐穿/最耐磨/最结实/最牢固/最清晰/最逼真/最智能/最先进的/最科学/最安心/最温和/最不伤/最有用',
    after: '^(?!的方法|的时间|的姿势|的办法|的做法)',
  },
  {
    id: 'abs:pattern:万年不变',
    name: '永远/万年+不变/不坏',
    category: '绝对化用语',
    severity: 'warn',
    reason: FOREVER,
    suggestions: ['写明保修或耐用年限'],
    anchors: '不变/不衰/不朽/不坏/不褪/常新/如新/不变质/不变形',
    before: '(?:一辈子|万年|千年|百年|永远|永久|终身|终生)$',
  },
  {
    id: 'superstition:pattern:助你转运',
    name: '助你/保你+转运',
    category: '迷信',
    severity: 'block',
    reason: LUCK,
    suggestions: ['寓意吉祥'],
    anchors: '转运/转好运/改运/改命/逢凶化吉/化灾/消灾/避灾/去霉运',
    before: '(?:助你|让你|让您|保你|保您|给你|给您)$',
  },
  {
    id: 'promise:pattern:头发蹭蹭长',
    name: '头发/个子+蹭蹭长',
    category: '虚假承诺',
    severity: 'block',
    reason: EFFECT,
    suggestions: ['效果因人而异'],
    anchors: '蹭蹭长/噌噌长/蹭蹭往上长/噌噌往上长/哗哗长/疯长/猛长/狂长/唰唰长',
    before: '(?:头发|个子|身高|睫毛|眉毛)$',
  },
];
