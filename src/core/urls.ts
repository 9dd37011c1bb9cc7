/**
 * Credentials inside URLs (`http://user:secret@mirror/...`, `postgresql://root:pw@host/db`): dezc
 * never prints them, and never hands them to fetch (which refuses such URLs outright): they become
 * an Authorization header, sent to that origin only.
 */

/** RFC 3986 user info characters: never a quote, space or backslash, so a match cannot leave a JSON string. */
const USERINFO = "[A-Za-z0-9._~%!$&'()*+,;=-]"
const URL_USERINFO = new RegExp(`\\b([a-z][a-z0-9+.-]*://)(${USERINFO}*)(:${USERINFO}*)?@`, 'gi')

/** Mask the password (or a lone user name, which is often a token) of every URL in a text. */
export function redactSecrets(text: string): string {
  return text.replace(URL_USERINFO, (_m, scheme: string, user: string, pass?: string) => {
    if (pass === undefined) return /^https?:\/\/$/i.test(scheme) ? `${scheme}***@` : `${scheme}${user}@`
    return pass === ':***' ? `${scheme}${user}${pass}@` : `${scheme}${user}:***@`
  })
}

export interface UrlWithAuth {
  /** The URL without user info: safe to print, cache by, and fetch. */
  url: string
  /** Authorization: Basic ... when the URL carried user info. */
  headers: Record<string, string>
}

export function takeCredentials(raw: string): UrlWithAuth {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return {url: raw, headers: {}}
  }
  if (!u.username && !u.password) return {url: raw, headers: {}}
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')
  u.username = ''
  u.password = ''
  return {url: u.toString(), headers: {authorization: `Basic ${basic}`}}
}
