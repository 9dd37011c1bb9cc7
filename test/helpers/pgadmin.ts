/**
 * A pgAdmin 4 web session as a browser has it: the login page's CSRF token, the session cookie,
 * the form login, then the browser API with the X-pgA-CSRFToken header pgAdmin's own UI sends.
 */
export class PgAdminSession {
  private cookies = new Map<string, string>()
  private csrf = ''

  constructor(readonly baseUrl: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers: Record<string, string> = {
      cookie: this.cookieHeader(),
      ...(this.csrf ? {'X-pgA-CSRFToken': this.csrf} : {}),
      ...(init.headers as Record<string, string> | undefined),
    }
    const res = await fetch(`${this.baseUrl}${path}`, {...init, headers, redirect: 'manual'})
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';')
      const i = kv.indexOf('=')
      this.cookies.set(kv.slice(0, i), kv.slice(i + 1))
    }
    return res
  }

  /** Log in with the form; returns the path pgAdmin redirects to (/browser/ on success; / on 4.x). */
  async login(email: string, password: string): Promise<string | null> {
    const page = await (await this.request('/login')).text()
    // pgAdmin 7+ puts the token in the React page's settings; 4.x in the form's hidden input.
    const token =
      /csrfToken['"]?\s*:\s*['"]([^'"]+)['"]/.exec(page)?.[1] ??
      /name="csrf_token" type="hidden" value="([^"]+)"/.exec(page)?.[1]
    if (!token) throw new Error('no CSRF token on the pgAdmin login page')
    const res = await this.request('/authenticate/login', {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded'},
      body: new URLSearchParams({
        csrf_token: token,
        email,
        password,
        language: 'en',
        internal_button: 'Login',
      }).toString(),
    })
    const js = await (await this.request('/browser/js/utils.js')).text()
    this.csrf = /pgAdmin\['csrf_token'\]\s*=\s*'([^']+)'/.exec(js)?.[1] ?? ''
    const location = res.headers.get('location')
    // 4.x redirects with an absolute URL: compare paths.
    return location === null ? null : new URL(location, this.baseUrl).pathname
  }

  /** Whether the session is logged in: the browser page answers 200, not a redirect to /login. */
  async loggedIn(): Promise<boolean> {
    const res = await this.request('/browser/')
    await res.arrayBuffer()
    return res.status === 200
  }

  async json<T = any>(path: string, init: RequestInit = {}): Promise<{status: number; body: T}> {
    const res = await this.request(path, init)
    const text = await res.text()
    try {
      return {status: res.status, body: JSON.parse(text) as T}
    } catch {
      throw new Error(
        `pgAdmin answered ${path} with HTTP ${res.status}${res.headers.get('location') ? ` -> ${res.headers.get('location')}` : ''}, not JSON: ${text.slice(0, 200)}`,
      )
    }
  }

  /** Every registered server: [{group, id, name, host?}] from the browser tree's own endpoints. */
  async servers(): Promise<Array<{gid: string; sid: string; label: string}>> {
    const groups = (await this.json<{data: Array<{_id: string}>}>('/browser/server_group/nodes/')).body.data
    const out: Array<{gid: string; sid: string; label: string}> = []
    for (const g of groups) {
      const r = await this.json<{
        result?: Array<{_id: number; label: string}>
        data?: Array<{_id: number; label: string}>
      }>(`/browser/server/nodes/${g._id}/`)
      // A group without servers answers 410 "could not be found" (pgAdmin's own wording); the list comes in `result`.
      if (r.status === 410) continue
      const nodes = r.body.result ?? r.body.data
      if (!Array.isArray(nodes))
        throw new Error(
          `pgAdmin's server list for group ${g._id} is not a list: ${JSON.stringify(r.body).slice(0, 300)}`,
        )
      for (const s of nodes) out.push({gid: String(g._id), sid: String(s._id), label: s.label})
    }
    return out
  }

  async serverProperties(
    gid: string,
    sid: string,
  ): Promise<{host: string; port: number; db: string; username: string}> {
    return (await this.json(`/browser/server/obj/${gid}/${sid}`)).body
  }

  /** Ask pgAdmin (inside its container) to connect to the server, as the tree's "Connect Server" does. */
  async connect(gid: string, sid: string, password: string): Promise<{status: number; body: any}> {
    return this.json(`/browser/server/connect/${gid}/${sid}`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({password, save_password: false}),
    })
  }
}
