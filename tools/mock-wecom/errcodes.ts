/**
 * The WeCom errcodes the mock answers, in one place, each with where it was confirmed.
 * "global" = WeCom global errcode list (developer.work.weixin.qq.com/document/path/90313);
 * "kf-global" = the 微信客服 edition of that list (95000, 95001);
 * "assumed" = no per-API source found; the closest documented code is used. Adjust here if WeCom proves otherwise.
 */
export const ERR = {
  OK: 0,
  SYSTEM_BUSY: -1, // global
  INVALID_SECRET: 40001, // global 不合法的secret参数
  INVALID_MEDIA_TYPE: 40004, // global 不合法的媒体文件类型
  INVALID_TYPE_PARAM: 40005, // global 不合法的type参数
  INVALID_FILE_SIZE: 40006, // global 不合法的文件大小
  INVALID_MEDIA_ID: 40007, // global 不合法的media_id参数 (temporary media lives 3 days)
  INVALID_MSGTYPE: 40008, // global 不合法的msgtype参数
  INVALID_IMAGE_SIZE: 40009, // global 上传图片大小不是有效值
  INVALID_VIDEO_SIZE: 40011, // global 上传视频大小不是有效值
  INVALID_CORPID: 40013, // global 不合法的CorpID
  INVALID_ACCESS_TOKEN: 40014, // global 不合法的access_token
  INVALID_AGENTID: 40056, // global 不合法的agentid (message/send: not this corp's app)
  INVALID_CODE: 40029, // global 不合法的oauth_code (auth/getuserinfo: unknown, used or older than 5 min)
  MISSING_CODE: 41008, // global 缺少oauth code
  INVALID_PARAM: 40058, // global 不合法的参数; errmsg "msgid exceed max length" seen in the wild for kf send_msg_on_event
  MISSING_ACCESS_TOKEN: 41001, // global 缺少access_token参数
  MISSING_CORPID: 41002, // global 缺少corpid参数
  MISSING_SECRET: 41004, // global 缺少secret参数
  MISSING_MEDIA_ID: 41006, // global 缺少media_id参数
  MISSING_AGENTID: 41011, // global 缺少agentid参数
  ALL_RECIPIENTS_INVALID: 81013, // message/send doc: 全部接收人无权限或不存在 (UserID、部门ID、标签ID全部非法或无权限)
  NO_RECIPIENTS: 82001, // global 指定的成员/部门/标签全部为空
  INVALID_WELCOME_CODE: 41050, // assumed: global 无效的欢迎语code (documented for externalcontact; kf's own code not found)
  ACCESS_TOKEN_EXPIRED: 42001, // global access_token已过期
  API_FORBIDDEN: 48002, // global API禁止调用 / API接口无权限调用 (not added under 微信客服 → 可调用接口的应用; or no contact API permission)
  NOT_TRUSTED_IP: 60020, // global 不安全的访问IP (not from the app's 企业可信IP; self-built apps created after 2022-06-20)
  EMPTY_MEDIA: 44001, // global 多媒体文件为空
  EMPTY_TEXT: 44004, // global 文本消息content参数为空
  CONTENT_TOO_LONG: 45002, // assumed per API: global 消息内容大小超过限制 (text > 2048 bytes)
  FREQ_LIMIT: 45009, // global 接口调用超过限制; WeCom staff: sync_msg without/with wrong token >10/min
  DEPARTMENT_NOT_FOUND: 60003, // global 部门不存在
  NO_CONTACT_PRIVILEGE: 60011, // global 指定的成员/部门/标签参数无权限 (department outside the app's visible range)
  INVALID_OPEN_KFID: 95000, // kf-global 不合法的open_kfid
  SEND_LIMIT: 95001, // kf-global 发送客服消息次数限制 (5 within 48 h of the customer's last message)
  INVALID_MSG_TOKEN: 95007, // SDK comments: 不合法的msgtoken (sync_msg token)
  SESSION_ENDED: 95013, // assumed: 会话已经结束 (trans on an ended session)
  INVALID_SERVICER: 95014, // official trans doc: servicer not active -> 95014
  INVALID_STATE_TRANSITION: 95016, // assumed: 不允许这种状态转换
  SESSION_STATUS_INVALID: 95018, // seen in the wild: "send msg session status invalid"
} as const;

const MESSAGES: Record<number, string> = {
  0: 'ok',
  [-1]: 'system busy',
  40001: 'invalid credential',
  40004: 'invalid media type',
  40005: 'invalid type',
  40006: 'invalid file size',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40009: 'invalid image size',
  40011: 'invalid video size',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  40056: 'invalid agentid',
  40029: 'invalid code',
  41008: 'missing code',
  40058: 'invalid parameter',
  41011: 'agentid missing',
  81013: 'user & party & tag all invalid',
  82001: 'All touser & toparty & totag invalid',
  41001: 'access_token missing',
  41002: 'corpid missing',
  41004: 'corpsecret missing',
  41006: 'media_id missing',
  41050: 'invalid welcome code',
  42001: 'access_token expired',
  44001: 'empty media data',
  48002: 'api forbidden',
  60020: 'not allow to access from your ip',
  44004: 'empty content',
  45002: 'content size out of limit',
  45009: 'api freq out of limit',
  60003: 'department not found',
  60011: 'no privilege to access/modify contact/party/agent',
  95000: 'invalid open_kfid',
  95001: 'send msg count limit',
  95007: 'invalid msg token',
  95013: 'session already ended',
  95014: 'invalid servicer userid',
  95016: 'invalid service state transition',
  95018: 'send msg session status invalid',
};

let hintSeq = 0;

/** errmsg in WeCom's shape: text, hint, and the errcode lookup link. */
export function errmsg(errcode: number, detail?: string): string {
  if (errcode === 0) return 'ok';
  const base = detail ?? MESSAGES[errcode] ?? 'error';
  hintSeq = (hintSeq + 1) % 1_000_000;
  return `${base}, hint: [${Date.now()}${String(hintSeq).padStart(6, '0')}], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`;
}
