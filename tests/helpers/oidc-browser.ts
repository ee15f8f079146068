/**
 * A browser's part of single sign-on, driven with fetch: follows redirects by hand, carries cookies
 * (by host and path, as a browser does: the app and the test provider share 127.0.0.1), and submits
 * the provider's sign-in form. Used by tests/integration/oidc.test.ts.
 */

interface StoredCookie {
  value: string;
  path: string;
}

export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      const attribute = (key: string) => attributes.find((entry) => entry.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      if (attribute('max-age') === '0' || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, path: attribute('path') ?? '/' });
    }
  }

  header(url: URL): string {
    return [...this.cookies]
      .filter(([, cookie]) => url.pathname.startsWith(cookie.path))
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ');
  }

  get(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }
}

export interface SignInOutcome {
  /** The app's last answer: 200 (signed in: a page that opens /) or 302 to /?signInError=… */
  status: number;
  location: string | null;
  body: string;
  /** The session cookie as the app set it (the whole Set-Cookie value), when it did. */
  sessionSetCookie: string | null;
  jar: CookieJar;
}

/**
 * Clicks "Sign in with …" (GET /api/auth/oidc/start), signs in at the provider as `login`, and
 * follows the provider back to the app's callback. `tamper` may change the callback URL first (a
 * forged state); `jar` continues an earlier browser; `cancel` clicks the provider's Cancel instead.
 */
export async function signInThroughProvider(
  appUrl: string,
  login: string,
  options: { tamper?: (callback: URL) => URL; jar?: CookieJar; cancel?: boolean } = {},
): Promise<SignInOutcome> {
  const jar = options.jar ?? new CookieJar();
  let url = new URL('/api/auth/oidc/start', appUrl);
  let method = 'GET';
  let form: URLSearchParams | undefined;
  for (let hop = 0; hop < 20; hop++) {
    if (url.pathname === '/api/auth/oidc/callback' && options.tamper) url = options.tamper(url);
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: { accept: 'text/html', cookie: jar.header(url), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form,
    });
    jar.take(response);
    const body = await response.text();
    const location = response.headers.get('location');
    const atApp = url.origin === new URL(appUrl).origin;
    if (atApp && url.pathname === '/api/auth/oidc/callback') {
      const sessionSetCookie = response.headers.getSetCookie().find((line) => line.startsWith('ss_session=')) ?? null;
      return { status: response.status, location, body, sessionSetCookie, jar };
    }
    if (atApp && response.status !== 302) return { status: response.status, location, body, sessionSetCookie: null, jar };
    if (location) {
      url = new URL(location, url);
      method = 'GET';
      form = undefined;
      continue;
    }
    // The provider's sign-in form (oidc-provider's development interaction): any password, the login names the account.
    const action = /<form[^>]*action="([^"]+)"/.exec(body)?.[1];
    if (response.status !== 200 || !action || !body.includes('name="login"')) throw new Error(`unexpected answer ${response.status} from ${url.href}: ${body.slice(0, 500)}`);
    if (options.cancel) {
      const abort = /<a href="([^"]+\/abort)"/.exec(body)?.[1];
      if (!abort) throw new Error(`no Cancel link on the provider's page: ${body.slice(0, 500)}`);
      url = new URL(abort, url);
      continue;
    }
    url = new URL(action.replaceAll('&amp;', '&'), url);
    method = 'POST';
    form = new URLSearchParams({ prompt: 'login', login, password: 'any password will do' });
  }
  throw new Error('too many redirects during the sign-in');
}
