// A tiny HTTP client with a cookie jar per origin and manual redirects, to walk sign-in flows without a browser.

export interface ClientResponse {
  status: number;
  url: string;
  location: string | null;
  text: string;
  headers: Headers;
}

export class CookieClient {
  /** origin → cookie name → value */
  readonly jar = new Map<string, Map<string, string>>();

  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(new URL(origin).origin)?.get(name);
  }

  setCookie(origin: string, name: string, value: string | undefined): void {
    const key = new URL(origin).origin;
    const cookies = this.jar.get(key) ?? new Map<string, string>();
    if (value === undefined) cookies.delete(name);
    else cookies.set(name, value);
    this.jar.set(key, cookies);
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<ClientResponse> {
    const origin = new URL(url).origin;
    const cookies = [...(this.jar.get(origin) ?? new Map()).entries()].map(
      ([name, value]) => `${name}=${value}`,
    );
    const headers: Record<string, string> = { ...init.headers };
    if (cookies.length > 0) headers["cookie"] = cookies.join("; ");
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? "GET", headers, body, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const index = pair!.indexOf("=");
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      const expired = attributes.some((attribute) => /max-age=0\b/i.test(attribute.trim()));
      this.setCookie(origin, name, expired || value === "" ? undefined : value);
    }
    const location = response.headers.get("location");
    return {
      status: response.status,
      url,
      location: location === null ? null : new URL(location, url).toString(),
      text: await response.text(),
      headers: response.headers,
    };
  }

  /** GET, following redirects (each hop sends and stores cookies, like a browser). */
  async follow(url: string, hops = 10): Promise<ClientResponse> {
    let response = await this.request(url);
    for (
      let hop = 0;
      hop < hops && response.location && response.status >= 300 && response.status < 400;
      hop++
    ) {
      response = await this.request(response.location);
    }
    return response;
  }
}

/** The CSRF token a page carries for forms. */
export function csrfOf(page: string): string {
  const match = /<meta name="csrf-token" content="([^"]+)">/.exec(page);
  if (!match?.[1]) throw new Error("the page has no CSRF token (not signed in?)");
  return match[1];
}
