import type { LookupAddress } from "node:dns";
import { createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  guardedLookup,
  isPrivateAddress,
  PrivateAddressError,
  validateWebhookUrl,
} from "../../shared/consumers/webhooks/url-guard.js";

describe("private address detection", () => {
  it.each([
    // IPv4 private, loopback, link-local (metadata), CGNAT, "this network", multicast, reserved, broadcast
    ["10.0.0.1", true],
    ["10.255.255.255", true],
    ["172.16.0.1", true],
    ["172.31.255.255", true],
    ["192.168.1.1", true],
    ["127.0.0.1", true],
    ["127.255.255.254", true],
    ["169.254.169.254", true],
    ["169.254.0.1", true],
    ["100.64.0.1", true],
    ["100.127.255.255", true],
    ["0.0.0.0", true],
    ["0.1.2.3", true],
    ["224.0.0.1", true],
    ["239.255.255.250", true],
    ["240.0.0.1", true],
    ["255.255.255.255", true],
    ["192.0.0.8", true],
    ["192.0.2.1", true],
    ["198.18.0.1", true],
    ["198.51.100.7", true],
    ["203.0.113.9", true],
    // IPv4 public, including the neighbours of every private range
    ["8.8.8.8", false],
    ["1.1.1.1", false],
    ["9.255.255.255", false],
    ["11.0.0.1", false],
    ["172.15.255.255", false],
    ["172.32.0.1", false],
    ["192.167.1.1", false],
    ["192.169.1.1", false],
    ["100.63.255.255", false],
    ["100.128.0.1", false],
    ["169.253.0.1", false],
    ["126.255.255.255", false],
    ["128.0.0.1", false],
    ["223.255.255.255", false],
    ["192.0.1.1", false],
    ["198.20.0.1", false],
    // IPv6 loopback, unspecified, unique-local, link-local, site-local, multicast, documentation, Teredo
    ["::1", true],
    ["::", true],
    ["0:0:0:0:0:0:0:1", true],
    ["fc00::1", true],
    ["fd12:3456:789a::1", true],
    ["fe80::1", true],
    ["febf::1", true],
    ["fe80::1%eth0", true],
    ["fec0::1", true],
    ["ff02::1", true],
    ["ff0e::1", true],
    ["100::1", true],
    ["2001:db8::1", true],
    ["2001::1", true],
    // IPv4-mapped, IPv4-translated, NAT64 and 6to4 are judged by their IPv4 part; deprecated IPv4-compatible is refused
    ["::ffff:127.0.0.1", true],
    ["::ffff:7f00:1", true],
    ["::ffff:169.254.169.254", true],
    ["::ffff:10.1.2.3", true],
    ["::ffff:8.8.8.8", false],
    ["::ffff:0808:0808", false],
    ["::ffff:0:10.0.0.1", true],
    ["::127.0.0.1", true],
    ["64:ff9b::10.0.0.1", true],
    ["64:ff9b::a9fe:a9fe", true],
    ["64:ff9b::8.8.8.8", false],
    ["64:ff9b:1::1", true],
    ["2002:7f00:1::1", true],
    ["2002:0808:0808::1", false],
    // IPv6 public
    ["2606:4700:4700::1111", false],
    ["2001:4860:4860::8888", false],
    ["2a00:1450:4001:80b::200e", false],
    ["2400:cb00::1", false],
  ])("%s is private: %s", (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected);
  });

  it("refuses to judge a string that is not an IP address", () => {
    for (const bad of ["example.com", "", "1.2.3", "::ffff:1.2.3.4.5", "[::1]", "01.2.3.4"]) {
      expect(() => isPrivateAddress(bad), bad).toThrow(TypeError);
    }
  });
});

describe("webhook URL validation", () => {
  const production = { allowPrivate: false, allowHttp: false };
  const local = { allowPrivate: true, allowHttp: true };
  const messages = (url: string, policy = production) => validateWebhookUrl(url, policy).map((i) => i.message);

  it.each([
    "https://example.com/hooks",
    "https://example.com:8443/hooks?token=abc#ignored",
    "https://hooks.example.com./x",
    "https://8.8.8.8/x",
    "https://[2606:4700:4700::1111]/x",
    "https://EXAMPLE.com/",
  ])("accepts %s", (url) => {
    expect(validateWebhookUrl(url, production)).toEqual([]);
  });

  it.each([
    ["", "must be an absolute https URL"],
    ["/relative/path", "must be an absolute https URL"],
    ["example.com/hook", "must be an absolute https URL"],
    ["http://example.com/", "must use https"],
    ["ftp://example.com/", "must be an https URL"],
    ["file:///etc/passwd", "must be an https URL"],
    ["javascript:alert(1)", "must be an https URL"],
    ["https://user:pass@example.com/", "must not contain a user name or password"],
    ["https://user@example.com/", "must not contain a user name or password"],
    ["https://127.0.0.1/", "must not point at a private, loopback or reserved address"],
    ["https://169.254.169.254/latest/meta-data/", "must not point at a private, loopback or reserved address"],
    ["https://0x7f.1/", "must not point at a private, loopback or reserved address"],
    ["https://2130706433/", "must not point at a private, loopback or reserved address"],
    ["https://0/", "must not point at a private, loopback or reserved address"],
    ["https://[::1]/", "must not point at a private, loopback or reserved address"],
    ["https://[::ffff:127.0.0.1]/", "must not point at a private, loopback or reserved address"],
    ["https://[::ffff:a9fe:a9fe]/", "must not point at a private, loopback or reserved address"],
    ["https://[fd00::1]:8443/", "must not point at a private, loopback or reserved address"],
    ["https://localhost/", "must not point at a private, loopback or reserved address"],
    ["https://LOCALHOST./", "must not point at a private, loopback or reserved address"],
    ["https://api.localhost/", "must not point at a private, loopback or reserved address"],
  ])("refuses %s", (url, message) => {
    expect(messages(url)).toEqual([message]);
  });

  it("reports every problem of a URL at once, under the caller's path", () => {
    expect(validateWebhookUrl("http://u:p@10.0.0.1/", production, "endpoint.url")).toEqual([
      { path: "endpoint.url", message: "must use https" },
      { path: "endpoint.url", message: "must not contain a user name or password" },
      { path: "endpoint.url", message: "must not point at a private, loopback or reserved address" },
    ]);
  });

  it("refuses a URL longer than 2048 characters", () => {
    const base = "https://example.com/";
    expect(validateWebhookUrl(base + "a".repeat(2048 - base.length), production)).toEqual([]);
    expect(messages(base + "a".repeat(2049 - base.length))).toEqual(["must be at most 2048 characters"]);
  });

  it("allows http and private targets only when the policy says so", () => {
    expect(validateWebhookUrl("http://127.0.0.1:3000/hooks", local)).toEqual([]);
    expect(validateWebhookUrl("http://localhost:3000/hooks", local)).toEqual([]);
    expect(messages("http://127.0.0.1:3000/", { allowPrivate: true, allowHttp: false })).toEqual(["must use https"]);
    expect(messages("https://127.0.0.1:3000/", { allowPrivate: false, allowHttp: true })).toEqual([
      "must not point at a private, loopback or reserved address",
    ]);
    expect(messages("ftp://example.com/", local)).toEqual(["must be an http or https URL"]);
    expect(messages("http://u@example.com/", local)).toEqual(["must not contain a user name or password"]);
  });
});

describe("the guarded DNS lookup", () => {
  const lookup = (allowPrivate: boolean, hostname: string, all: boolean) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>(
      (resolve) =>
        guardedLookup(allowPrivate)(hostname, { all }, (error, address, family) => resolve({ error, address, family })),
    );

  it("refuses localhost, whichever shape of answer Node asks for", async () => {
    for (const all of [false, true]) {
      const { error } = await lookup(false, "localhost", all);
      expect(error).toBeInstanceOf(PrivateAddressError);
      expect(error?.code).toBe("ERR_WEBHOOK_PRIVATE_ADDRESS");
      expect(error?.message).toMatch(/^localhost resolves to a private/);
      // The resolved address stays out of the message (it is for our logs) but is kept on the error.
      expect(error?.message).not.toMatch(/127\.0\.0\.1|::1/);
      expect(isPrivateAddress((error as PrivateAddressError).address)).toBe(true);
    }
  });

  it("resolves localhost when private targets are allowed, as one address or all of them", async () => {
    const one = await lookup(true, "localhost", false);
    expect(one.error).toBeNull();
    expect(["127.0.0.1", "::1"]).toContain(one.address);
    expect(one.family).toBe(one.address === "::1" ? 6 : 4);
    const all = await lookup(true, "localhost", true);
    expect(all.error).toBeNull();
    expect(Array.isArray(all.address) && all.address.length > 0).toBe(true);
    for (const entry of all.address as LookupAddress[]) expect(isPrivateAddress(entry.address)).toBe(true);
  });

  it("passes DNS failures through", async () => {
    const { error } = await lookup(false, "no-such-host.invalid", false);
    expect(error?.code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
  });

  describe("used by node:http against a real server on localhost", () => {
    let server: Server;
    let port: number;
    let connections = 0;

    beforeAll(async () => {
      server = createServer((_req, res) => res.end("hello"));
      server.on("connection", () => connections++);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const request = (allowPrivate: boolean) =>
      new Promise<string>((resolve, reject) => {
        const req = get(
          { host: "localhost", port, family: 4, agent: false, lookup: guardedLookup(allowPrivate) },
          (res) => {
            let body = "";
            res.on("data", (chunk: Buffer) => (body += chunk.toString()));
            res.on("end", () => resolve(body));
          },
        );
        req.on("error", reject);
      });

    it("fails the request before connecting when private targets are not allowed", async () => {
      await expect(request(false)).rejects.toBeInstanceOf(PrivateAddressError);
      expect(connections).toBe(0);
    });

    it("connects when they are", async () => {
      await expect(request(true)).resolves.toBe("hello");
      expect(connections).toBe(1);
    });
  });
});
