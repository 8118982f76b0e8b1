// The page's words in English and Chinese. The language is the patient's choice (kept in this
// browser), else the browser's language; every message a patient sees comes from here.
import type { VocabularyEntry } from "./config";

export type Language = "en" | "zh";

const LANGUAGE_KEY = "trustshare.patient.language";

const en = {
  title: "My health-data consents",
  other_language: "中文",
  loading: "Loading…",
  retry: "Try again",
  cancel: "Cancel",
  save: "Save",
  welcome_intro:
    "This page keeps your key on this device only. With it you decide which insurers may see " +
    "your medical-insurance records, and you see every time one of them asked.",
  create_heading: "Create a new key",
  password: "Password",
  password_repeat: "Repeat the password",
  create_button: "Create my key",
  create_hint:
    "The password protects the key on this device. Nobody can recover it for you: if you " +
    "forget it, the bureau's counter can link a new key to your records.",
  import_heading: "Use a key you already have",
  import_label: "Private key (0x…) or the contents of a key backup file",
  import_hint:
    "For a backup file, type its password. For a private key, choose a new password of at " +
    "least 8 characters.",
  import_button: "Import the key",
  protecting_key: "Protecting your key… this takes a few seconds.",
  unlock_heading: "Unlock your key",
  unlock_for: "Key {address}",
  unlock_button: "Unlock",
  unlocking: "Unlocking…",
  forget_key: "Forget this key on this device",
  forget_confirm:
    "Without a backup this key is gone for good, and the bureau's counter must link a new " +
    "one. Delete it from this device?",
  forget_yes: "Yes, delete it",
  tab_link: "My link",
  tab_consents: "Consents",
  tab_log: "Access log",
  tab_settings: "Settings",
  binding_checking: "Looking for your link on the blockchain…",
  binding_linked: "Your key is linked to your medical-insurance records.",
  binding_by: "Linked by: {bureau}",
  binding_code: "Your pseudonymous code: {code}",
  binding_wallet: "Your key: {address}",
  binding_none: "Your key is not linked to your records yet.",
  binding_how:
    "Take your ID card to the bureau's service counter and ask for a binding voucher, then " +
    "type it here.",
  voucher: "Binding voucher",
  voucher_button: "Link my key",
  binding_pending: "The bureau is recording your link on the blockchain…",
  binding_needed: "Link your key to your records first.",
  consents_heading: "Who may see what",
  consents_none: "You have not given any insurer consent.",
  status_active: "Active",
  status_revoked: "Withdrawn",
  status_expired: "Expired",
  status_not_yet_valid: "Not started yet",
  status_insurer_removed: "Insurer left the network",
  may_see: "May see: {items}",
  may_use_for: "For: {uses}",
  valid_window: "From {from} to {until}",
  withdraw: "Withdraw",
  withdraw_confirm:
    "Withdraw your consent to {insurer}? Once it is on the blockchain they can no longer see " +
    "your records.",
  withdraw_yes: "Yes, withdraw",
  grant_heading: "Give consent",
  grant_replaces: "A new consent to an insurer replaces the one it has now.",
  grant_insurer: "Insurer",
  grant_scopes: "What they may see",
  grant_purposes: "What for",
  grant_from: "From",
  grant_until: "Until",
  grant_button: "Sign and give consent",
  no_insurers: "No insurer is in the network yet.",
  err_choose_scope: "Tick at least one item they may see.",
  err_choose_purpose: "Tick at least one use.",
  err_window_invalid: "The end date must be on or after the start date, and not in the past.",
  signing: "Signing on this device…",
  relaying: "The bureau is recording it on the blockchain…",
  granted: "Done: your consent is on the blockchain (block {block}).",
  withdrawn: "Done: your consent is withdrawn on the blockchain (block {block}).",
  log_heading: "Who asked for your records",
  log_none: "Nobody has asked for your records.",
  log_refresh: "Refresh",
  log_asked: "{insurer} asked to see {items} for {use}",
  log_released: "Shown: {items}",
  log_refused: "Refused: {reason}",
  reason_REVOKED: "you had withdrawn your consent",
  reason_NO_CONSENT: "you had not given consent",
  reason_EXPIRED: "your consent had expired",
  reason_NOT_YET_VALID: "your consent had not started yet",
  reason_SCOPE_NOT_COVERED: "you had not allowed these items",
  reason_PURPOSE_NOT_COVERED: "you had not allowed this use",
  reason_INSURER_INACTIVE: "the insurer had left the network",
  reason_record_not_found: "there was no such record",
  reason_groups_not_in_record: "the record holds nothing you allowed",
  reason_other: "the bureau refused ({code})",
  check_verified: "✓ Matches the blockchain",
  check_pending: "… Not on the blockchain yet: it is checked once the bureau records it",
  check_failed: "✗ Does NOT match the blockchain: {why}",
  check_unchecked: "? Could not be checked against the blockchain just now",
  why_other_pseudonym: "the entry is about someone else",
  why_hash_mismatch: "the entry was altered",
  why_not_access_log: "the proof points to no recorded access-log batch",
  why_other_bureau: "the batch was recorded by another organisation",
  why_bad_proof: "the proof does not place the entry in the recorded batch",
  why_malformed: "the entry carries no usable proof",
  settings_chain: "Where the page reads the blockchain",
  settings_chain_hint:
    "By default through the bureau. To check everything independently, enter the address " +
    "of a blockchain node you trust.",
  settings_chain_now: "Now: {where}",
  settings_chain_bureau: "through the bureau",
  chain_url: "Blockchain node address",
  use_bureau: "Use the bureau's",
  backup_heading: "Backup",
  backup_hint:
    "Your key exists only on this device. Keep a backup file somewhere safe; it is protected " +
    "by your password.",
  backup_button: "Download my key backup",
  lock: "Lock",
  err_wrong_password: "That password is not right. Nothing was signed — try again.",
  err_password_short: "Choose a password of at least 8 characters.",
  err_password_mismatch: "The two passwords are not the same.",
  err_bad_import: "That is neither a private key nor a key backup file.",
  err_bureau_unreachable:
    "The bureau's service cannot be reached. Check your connection and try again.",
  err_chain_unreachable:
    "The blockchain cannot be read right now, so nothing could be checked. Try again in a " +
    "few minutes.",
  err_wrong_chain: "That blockchain node is on a different network from this bureau.",
  err_bad_chain_url: "Type the node's address starting with http:// or https://.",
  err_relay_failed:
    "The bureau could not record this on the blockchain, so nothing changed. Try again; if " +
    "it keeps failing, ask at the bureau's counter.",
  err_relay_slow: "The bureau has not recorded it yet. Look at the list again in a minute.",
  err_bad_signature:
    "The bureau did not accept your key's signature: this key is not the one linked to your " +
    "records.",
  err_unknown_signer:
    "The bureau did not accept your key's signature: this key is not the one linked to your " +
    "records.",
  err_pseudonym_unbound: "Your key is not linked to your records yet.",
  err_wrong_nonce:
    "Another change to your consents happened at the same time. Look at the list and try again.",
  err_deadline_passed: "Your signature expired before it reached the blockchain. Try again.",
  err_insurer_inactive: "This insurer has left the network: it can no longer be given consent.",
  err_invalid_terms:
    "This cannot be recorded: tick at least one item and one use, with an end date not in the " +
    "past.",
  err_consent_not_current: "This consent changed meanwhile. Look at the list and try again.",
  err_already_revoked: "This consent was already withdrawn.",
  err_relay_in_flight: "This is already being recorded. Wait a moment, then look at the list.",
  err_invalid_voucher:
    "The bureau does not recognise this voucher. Check you typed it exactly as printed.",
  err_voucher_expired: "This voucher has expired. Ask the bureau's counter for a new one.",
  err_voucher_spent:
    "This voucher has already linked another key. Ask the bureau's counter for a new one.",
  err_bound_by_other_bureau:
    "Your records are linked through another bureau: ask that bureau to link this key.",
  err_stale_timestamp: "Your device's clock is wrong. Set the date and time right, then try again.",
  err_unexpected:
    "Something went wrong ({code}). Try again later; if it keeps happening, ask at the " +
    "bureau's counter.",
};

export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  title: "我的医保数据授权",
  other_language: "English",
  loading: "正在加载…",
  retry: "重试",
  cancel: "取消",
  save: "保存",
  welcome_intro:
    "本页只在这台设备上保存您的密钥。您可以用它决定哪些保险公司可以查看您的医保记录，" +
    "并查看每一次查阅请求。",
  create_heading: "创建新密钥",
  password: "密码",
  password_repeat: "再次输入密码",
  create_button: "创建密钥",
  create_hint:
    "密码用于保护这台设备上的密钥，没有人能帮您找回。如果忘记密码，可以到医保服务窗口为您的记录绑定新密钥。",
  import_heading: "导入已有密钥",
  import_label: "私钥（0x…）或密钥备份文件的内容",
  import_hint: "备份文件：请输入它的密码。私钥：请设置至少 8 个字符的新密码。",
  import_button: "导入密钥",
  protecting_key: "正在加密保护密钥，需要几秒钟…",
  unlock_heading: "解锁密钥",
  unlock_for: "密钥 {address}",
  unlock_button: "解锁",
  unlocking: "正在解锁…",
  forget_key: "在这台设备上删除此密钥",
  forget_confirm:
    "如果没有备份，此密钥将永久丢失，需要到医保服务窗口重新绑定新密钥。确定从这台设备删除吗？",
  forget_yes: "确定删除",
  tab_link: "绑定",
  tab_consents: "授权",
  tab_log: "查阅记录",
  tab_settings: "设置",
  binding_checking: "正在区块链上查询绑定状态…",
  binding_linked: "您的密钥已绑定到您的医保记录。",
  binding_by: "绑定机构：{bureau}",
  binding_code: "您的匿名编码：{code}",
  binding_wallet: "您的密钥地址：{address}",
  binding_none: "您的密钥尚未绑定到您的医保记录。",
  binding_how: "请携带身份证到医保服务窗口申请绑定凭证，然后在此输入。",
  voucher: "绑定凭证",
  voucher_button: "绑定密钥",
  binding_pending: "医保机构正在把绑定写入区块链…",
  binding_needed: "请先把密钥绑定到您的医保记录。",
  consents_heading: "谁可以查看什么",
  consents_none: "您尚未授权任何保险公司。",
  status_active: "有效",
  status_revoked: "已撤回",
  status_expired: "已过期",
  status_not_yet_valid: "尚未生效",
  status_insurer_removed: "保险公司已退出网络",
  may_see: "可查看：{items}",
  may_use_for: "用途：{uses}",
  valid_window: "有效期：{from} 至 {until}",
  withdraw: "撤回授权",
  withdraw_confirm: "确定撤回对{insurer}的授权吗？写入区块链后，对方将无法再查看您的记录。",
  withdraw_yes: "确定撤回",
  grant_heading: "新增授权",
  grant_replaces: "对同一保险公司的新授权会替换其现有授权。",
  grant_insurer: "保险公司",
  grant_scopes: "可查看的内容",
  grant_purposes: "用途",
  grant_from: "开始日期",
  grant_until: "结束日期",
  grant_button: "签名并授权",
  no_insurers: "网络中暂无保险公司。",
  err_choose_scope: "请至少勾选一项可查看的内容。",
  err_choose_purpose: "请至少勾选一项用途。",
  err_window_invalid: "结束日期不能早于开始日期，也不能早于今天。",
  signing: "正在本机签名…",
  relaying: "医保机构正在写入区块链…",
  granted: "完成：您的授权已记录在区块链上（区块 {block}）。",
  withdrawn: "完成：您的授权已在区块链上撤回（区块 {block}）。",
  log_heading: "谁查阅过您的记录",
  log_none: "尚无人查阅您的记录。",
  log_refresh: "刷新",
  log_asked: "{insurer}申请查看{items}，用途：{use}",
  log_released: "已提供：{items}",
  log_refused: "已拒绝：{reason}",
  reason_REVOKED: "您已撤回授权",
  reason_NO_CONSENT: "您未授权",
  reason_EXPIRED: "您的授权已过期",
  reason_NOT_YET_VALID: "您的授权尚未生效",
  reason_SCOPE_NOT_COVERED: "您未授权查看这些内容",
  reason_PURPOSE_NOT_COVERED: "您未授权此用途",
  reason_INSURER_INACTIVE: "该保险公司已退出网络",
  reason_record_not_found: "没有此记录",
  reason_groups_not_in_record: "记录中没有您授权的内容",
  reason_other: "被医保机构拒绝（{code}）",
  check_verified: "✓ 与区块链记录一致",
  check_pending: "… 尚未写入区块链，写入后即可核验",
  check_failed: "✗ 与区块链记录不符：{why}",
  check_unchecked: "? 暂时无法与区块链核对",
  why_other_pseudonym: "该记录属于他人",
  why_hash_mismatch: "记录内容被改动过",
  why_not_access_log: "证明未指向已写入的查阅记录批次",
  why_other_bureau: "该批次由其他机构写入",
  why_bad_proof: "证明无法把该记录对应到已写入的批次",
  why_malformed: "该记录没有可用的证明",
  settings_chain: "本页读取区块链的节点",
  settings_chain_hint: "默认通过医保机构读取。如需独立核验，请输入您信任的区块链节点地址。",
  settings_chain_now: "当前：{where}",
  settings_chain_bureau: "通过医保机构",
  chain_url: "区块链节点地址",
  use_bureau: "改用医保机构的",
  backup_heading: "备份",
  backup_hint: "您的密钥只保存在这台设备上。请把备份文件保存在安全的地方，它受您的密码保护。",
  backup_button: "下载密钥备份",
  lock: "锁定",
  err_wrong_password: "密码不正确，未进行任何签名，请重试。",
  err_password_short: "请设置至少 8 个字符的密码。",
  err_password_mismatch: "两次输入的密码不一致。",
  err_bad_import: "这既不是私钥，也不是密钥备份文件。",
  err_bureau_unreachable: "无法连接医保机构服务，请检查网络后重试。",
  err_chain_unreachable: "暂时无法读取区块链，无法完成核验，请几分钟后重试。",
  err_wrong_chain: "该区块链节点与本医保机构不在同一网络。",
  err_bad_chain_url: "请输入以 http:// 或 https:// 开头的节点地址。",
  err_relay_failed:
    "医保机构未能把此操作写入区块链，未做任何更改。请重试；如多次失败，请咨询医保服务窗口。",
  err_relay_slow: "医保机构尚未完成写入，请一分钟后再查看列表。",
  err_bad_signature: "签名未被接受：此密钥不是绑定到您医保记录的密钥。",
  err_unknown_signer: "签名未被接受：此密钥不是绑定到您医保记录的密钥。",
  err_pseudonym_unbound: "您的密钥尚未绑定到您的医保记录。",
  err_wrong_nonce: "您的授权同时发生了其他更改，请查看列表后重试。",
  err_deadline_passed: "签名在写入区块链前已过期，请重试。",
  err_insurer_inactive: "该保险公司已退出网络，无法再接受授权。",
  err_invalid_terms: "无法记录：请至少勾选一项内容和一项用途，结束日期不能早于今天。",
  err_consent_not_current: "此授权已被更改，请查看列表后重试。",
  err_already_revoked: "此授权已撤回。",
  err_relay_in_flight: "正在写入中，请稍候再查看列表。",
  err_invalid_voucher: "医保机构无法识别此凭证，请核对是否与打印内容完全一致。",
  err_voucher_expired: "此凭证已过期，请到医保服务窗口重新申请。",
  err_voucher_spent: "此凭证已绑定其他密钥，请到医保服务窗口重新申请。",
  err_bound_by_other_bureau: "您的记录由另一家医保机构绑定，请到该机构绑定此密钥。",
  err_stale_timestamp: "您设备的时间不正确，请校准日期和时间后重试。",
  err_unexpected: "出现了问题（{code}）。请稍后重试；如仍有问题，请咨询医保服务窗口。",
};

const MESSAGES: Record<Language, Record<MessageKey, string>> = { en, zh };

let current: Language = initialLanguage();

function initialLanguage(): Language {
  const chosen = localStorage.getItem(LANGUAGE_KEY);
  if (chosen === "en" || chosen === "zh") return chosen;
  return navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function language(): Language {
  return current;
}

/** Switch to `next` and remember the choice in this browser. */
export function setLanguage(next: Language): void {
  current = next;
  localStorage.setItem(LANGUAGE_KEY, next);
}

/** The message `key` in the current language, with `{name}` placeholders filled in. */
export function t(key: MessageKey, values: Record<string, string | number> = {}): string {
  return MESSAGES[current][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/** The message for an error code, or the general one naming the code. */
export function errorText(code: string): string {
  const key = `err_${code}`;
  return key in en ? t(key as MessageKey) : t("err_unexpected", { code });
}

/** A refusal reason of the access log (PermissionStatus name or error code) in plain words. */
export function reasonText(code: string): string {
  const key = `reason_${code}`;
  return key in en ? t(key as MessageKey) : t("reason_other", { code });
}

/** The labels of vocabulary entries, joined as the language writes lists. */
export function labels(entries: VocabularyEntry[]): string {
  return entries.map((entry) => entry[current]).join(current === "zh" ? "、" : ", ");
}

/** A date (unix seconds) as the patient reads it. */
export function dateText(seconds: number): string {
  return new Date(seconds * 1000).toLocaleDateString(current === "zh" ? "zh-CN" : "en-GB", {
    year: "numeric",
    month: "long",
    day: "numeric",
  });
}

/** A moment (unix seconds) as the patient reads it. */
export function momentText(seconds: number): string {
  return new Date(seconds * 1000).toLocaleString(current === "zh" ? "zh-CN" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
  });
}
