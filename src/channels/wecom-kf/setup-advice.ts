/**
 * What a WeCom errcode met while setting up (gettoken, the first API call) means and what to change,
 * in Chinese and English. Meanings from WeCom's global errcode list
 * (developer.work.weixin.qq.com/document/path/90455): 40001 不合法的secret参数, 40013 不合法的CorpID,
 * 48002 API禁止调用, 60020 不安全的访问IP.
 */
export const SETUP_ADVICE: Record<number, { meaning: string; fix: string }> = {
  40013: {
    meaning: '40013 不合法的CorpID / invalid CorpID',
    fix: 'WECOM_CORP_ID 填写错误：管理后台 → 我的企业 → 企业信息 → 企业ID（ww 开头）。 Set WECOM_CORP_ID to the 企业ID shown under 我的企业 → 企业信息 (starts with "ww").',
  },
  40001: {
    meaning: '40001 不合法的secret参数 / invalid secret',
    fix:
      'WECOM_KF_SECRET 错误或已重置：使用已加入「微信客服 → 可调用接口的应用」的自建应用的 Secret（应用管理 → 自建 → 该应用 → Secret，查看后发送到企业微信）。 ' +
      'The secret is wrong or was reset: use the Secret of the self-built app listed under 微信客服 → 可调用接口的应用 (应用管理 → 自建 → the app → Secret → 查看).',
  },
  60020: {
    meaning: '60020 不安全的访问IP：不是企业可信IP / not called from a 企业可信IP',
    fix:
      '把本服务器的出口 IP（见 errmsg 中的 "from ip"）加入该自建应用的「企业可信IP」（应用管理 → 自建 → 该应用 → 企业可信IP → 配置）；2022-06-20 之后创建的自建应用必须配置。 ' +
      "Add this server's public egress IP (the \"from ip\" in the errmsg) to the app's 企业可信IP (应用管理 → 自建 → the app → 企业可信IP); required for self-built apps created after 2022-06-20.",
  },
  48002: {
    meaning: '48002 API禁止调用 / the app may not call this API',
    fix:
      '在「应用管理 → 微信客服 → API → 可调用接口的应用」中加入该自建应用（或改用已加入的应用的 Secret）。 ' +
      'Add the self-built app under 应用管理 → 微信客服 → API → 可调用接口的应用 (or use the Secret of an app listed there).',
  },
  [-1]: { meaning: '-1 系统繁忙 / WeCom busy', fix: '稍后重试。 Try again in a minute.' },
};

export function setupAdvice(errcode: number, errmsg: string): { meaning: string; fix: string } {
  return SETUP_ADVICE[errcode] ?? { meaning: `errcode ${errcode}: ${errmsg}`, fix: `See https://open.work.weixin.qq.com/devtool/query?e=${errcode}` };
}
