import { lookup as dnsLookup } from "node:dns";
import { isIP, isIPv4, isIPv6, type LookupFunction } from "node:net";
import type { FieldIssue } from "../../kernel/errors.js";

/**
 * SSRF protection for webhook targets. Two layers: `validateWebhookUrl` refuses bad URLs (and literal
 * private IPs, which Node connects to without any lookup) when an endpoint is saved and again before
 * each delivery; `guardedLookup` checks every address a name resolves to at connect time, so a name
 * that resolved to a public address when the endpoint was saved cannot later be rebound to an internal one.
 */

export const MAX_WEBHOOK_URL_LENGTH = 2048;

export interface UrlPolicy {
  /** Allow loopback, private and reserved targets: local runs and tests only. */
  allowPrivate: boolean;
  /** Allow plain http: local runs and tests only. */
  allowHttp: boolean;
}

/** Issues with a webhook target URL, at `at`; empty when it may be delivered to. */
export function validateWebhookUrl(url: string, policy: UrlPolicy, at = "url"): FieldIssue[] {
  const issue = (message: string) => [{ path: at, message }];
  if (url.length > MAX_WEBHOOK_URL_LENGTH) return issue(`must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  if (!URL.canParse(url)) return issue("must be an absolute https URL");
  const parsed = new URL(url);
  const issues: FieldIssue[] = [];
  if (parsed.protocol === "http:") {
    if (!policy.allowHttp) issues.push({ path: at, message: "must use https" });
  } else if (parsed.protocol !== "https:") {
    issues.push({ path: at, message: policy.allowHttp ? "must be an http or https URL" : "must be an https URL" });
  }
  if (parsed.username !== "" || parsed.password !== "") {
    issues.push({ path: at, message: "must not contain a user name or password" });
  }
  if (!policy.allowPrivate) {
    // The WHATWG parser has already turned 0x7f.1, 2130706433 and friends into dotted IPv4.
    const host = parsed.hostname
      .replace(/^\[|\]$/g, "")
      .replace(/\.$/, "")
      .toLowerCase();
    if (isIP(host) !== 0 ? isPrivateAddress(host) : host === "localhost" || host.endsWith(".localhost")) {
      issues.push({ path: at, message: "must not point at a private, loopback or reserved address" });
    }
  }
  return issues;
}

/**
 * True when `ip` is not a public unicast address: private, loopback, link-local (including the
 * 169.254.169.254 metadata service), CGNAT, unspecified, multicast, reserved, broadcast or documentation.
 * IPv6 forms that carry an IPv4 address (mapped, translated, NAT64, 6to4) are judged by that address.
 * Throws on a string that is not an IP address.
 */
export function isPrivateAddress(ip: string): boolean {
  if (isIPv4(ip)) return isPrivateIPv4(ip.split(".").map(Number) as Octets);
  const groups = isIPv6(ip) ? ipv6Groups(ip) : undefined;
  if (!groups) throw new TypeError(`not an IP address: "${ip}"`);
  return isPrivateIPv6(groups);
}

type Octets = [number, number, number, number];

function isPrivateIPv4([a, b, c]: Octets): boolean {
  return (
    a === 0 || // "this network", 0.0.0.0/8
    a === 10 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT 100.64.0.0/10
    a === 127 ||
    (a === 169 && b === 254) || // link-local, including cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF protocol assignments, TEST-NET-1
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) || // TEST-NET-2
    (a === 203 && b === 0 && c === 113) || // TEST-NET-3
    a >= 224 // multicast 224/4, reserved 240/4, broadcast
  );
}

function isPrivateIPv6(g: number[]): boolean {
  const embedded = (hi: number, lo: number) => isPrivateIPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const zeros = (from: number, to: number) => g.slice(from, to).every((group) => group === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return embedded(g[6]!, g[7]!); // IPv4-mapped ::ffff:a.b.c.d
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return embedded(g[6]!, g[7]!); // IPv4-translated
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return embedded(g[6]!, g[7]!); // NAT64 64:ff9b::/96
  if (g[0] === 0x2002) return embedded(g[1]!, g[2]!); // 6to4 2002:aabb:ccdd::/48
  // Everything public is in 2000::/3; outside it are ::, ::1, fc00::/7, fe80::/10, fec0::/10, ff00::/8, …
  if ((g[0]! & 0xe000) !== 0x2000) return true;
  // 2001::/23 holds IETF assignments (Teredo at 2001::/32 tunnels to arbitrary IPv4); 2001:db8::/32 is documentation.
  return (g[0] === 0x2001 && g[1]! < 0x200) || (g[0] === 0x2001 && g[1] === 0x0db8);
}

/** The eight 16-bit groups of a valid IPv6 address (zone id dropped, dotted IPv4 tail converted). */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.split("%")[0]!;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as Octets;
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(":").map((group) => parseInt(group, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  const groups =
    tail === undefined ? front : [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  return groups.length === 8 && groups.every((group) => group >= 0 && group <= 0xffff) ? groups : undefined;
}

/** Raised at connect time when a target name resolves to an address `isPrivateAddress` refuses. */
export class PrivateAddressError extends Error {
  readonly code = "ERR_WEBHOOK_PRIVATE_ADDRESS";
  constructor(
    readonly hostname: string,
    /** For our logs only: the message omits it so an endpoint owner cannot map our internal network. */
    readonly address: string,
  ) {
    super(`${hostname} resolves to a private, loopback or reserved address; webhooks go to public addresses only`);
    this.name = "PrivateAddressError";
  }
}

/**
 * A `lookup` for `net.connect` / `http.request` that resolves every address of the name and fails if
 * any is private, then answers in the shape Node asked for (one address, or all of them for Happy
 * Eyeballs). Checking all of them, not just the one connected to, keeps the answer independent of order.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), []);
      if (!allowPrivate) {
        const refused = addresses.find(({ address }) => isPrivateAddress(address));
        if (refused) return callback(new PrivateAddressError(hostname, refused.address), []);
      }
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}
