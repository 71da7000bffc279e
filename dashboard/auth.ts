/**
 * Who may use the dashboard: one secret token kept in the data directory (mode 0600, made on first start), a login
 * that trades it for a session cookie (HttpOnly, SameSite=Strict, Secure over TLS), failed logins limited per
 * client address and overall, and sessions held in memory (bounded, idle-expiring). The Fastify wiring (which
 * routes need a session) is in plugins/access.ts; this module has no HTTP in it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import type { Limits } from '../src/model/limits.ts';

/** The cookie that carries a session id. */
export const SESSION_COOKIE = 'toyscope_session';

/** The dashboard token, and whether this call created it (then, and only then, it is printed). */
export interface DashboardToken {
  token: string;
  created: boolean;
}

/**
 * Reads the token at `file`, creating it (32 random bytes, base64url, mode 0600) when absent. A token file that
 * others can read is refused: whoever reads it can open every child's voice recording.
 */
export function ensureDashboardToken(file: string): DashboardToken {
  if (existsSync(file)) {
    const mode = statSync(file).mode & 0o077;
    if (mode !== 0)
      throw new Error(
        `${file} is readable by other users (mode ${(statSync(file).mode & 0o777).toString(8)}): chmod 600 it`,
      );
    const token = readFileSync(file, 'utf8').trim();
    if (token.length < 32) throw new Error(`${file} does not hold a dashboard token: delete it to make a new one`);
    return { token, created: false };
  }
  const token = randomBytes(32).toString('base64url');
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  return { token, created: true };
}

/** Compares in constant time (over digests, so lengths leak nothing either). */
export function tokenMatches(given: string, token: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

interface Session {
  lastSeen: number;
  /** Evidence blobs (photos, voice) this session revealed: only those are served to it. */
  revealed: Set<string>;
}

/** Evidence a session may have revealed before the oldest is forgotten (it can be revealed again). */
const MAX_REVEALED_EVIDENCE = 10_000;

/** Login attempts, sessions; `now` is injectable for tests. */
export class Access {
  readonly #token: string;
  readonly #limits: Pick<Limits, 'MAX_LOGIN_FAILURES' | 'LOGIN_WINDOW_MS' | 'MAX_SESSIONS' | 'SESSION_IDLE_MS'>;
  readonly #now: () => number;
  readonly #sessions = new Map<string, Session>();
  /** Failure times per client address, and all of them (a client can pick many loopback addresses). */
  readonly #failures = new Map<string, number[]>();
  #allFailures: number[] = [];

  constructor(token: string, limits: Access['limits'], now: () => number = Date.now) {
    this.#token = token;
    this.#limits = limits;
    this.#now = now;
  }

  get limits(): Pick<Limits, 'MAX_LOGIN_FAILURES' | 'LOGIN_WINDOW_MS' | 'MAX_SESSIONS' | 'SESSION_IDLE_MS'> {
    return this.#limits;
  }

  /** Milliseconds until `remote` may try again, or 0 when it may now. */
  retryAfter(remote: string): number {
    const now = this.#now();
    const window = this.#limits.LOGIN_WINDOW_MS;
    const recent = (this.#failures.get(remote) ?? []).filter((t) => now - t < window);
    this.#allFailures = this.#allFailures.filter((t) => now - t < window);
    const blockedBy = (times: number[], max: number) =>
      times.length >= max ? times[times.length - max]! + window - now : 0;
    return Math.max(
      blockedBy(recent, this.#limits.MAX_LOGIN_FAILURES),
      blockedBy(this.#allFailures, this.#limits.MAX_LOGIN_FAILURES * 4),
    );
  }

  /** A new session id for the right token; undefined (and the failure counted) for a wrong one. */
  login(given: string, remote: string): string | undefined {
    const now = this.#now();
    if (!tokenMatches(given, this.#token)) {
      const window = this.#limits.LOGIN_WINDOW_MS;
      const list = (this.#failures.get(remote) ?? []).filter((t) => now - t < window);
      list.push(now);
      this.#failures.set(remote, list);
      this.#allFailures.push(now);
      if (this.#failures.size > 1024) this.#failures.delete(this.#failures.keys().next().value as string);
      return undefined;
    }
    this.#failures.delete(remote);
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { lastSeen: now, revealed: new Set() });
    while (this.#sessions.size > this.#limits.MAX_SESSIONS) {
      this.#sessions.delete(this.#sessions.keys().next().value as string);
    }
    return id;
  }

  /** True for a live session (and its idle clock restarts). */
  check(id: string | undefined): boolean {
    if (!id) return false;
    const s = this.#sessions.get(id);
    if (!s) return false;
    const now = this.#now();
    if (now - s.lastSeen > this.#limits.SESSION_IDLE_MS) {
      this.#sessions.delete(id);
      return false;
    }
    s.lastSeen = now;
    return true;
  }

  /** Lets the session fetch an evidence blob: called when it revealed the finding (a logged action). */
  grantEvidence(id: string, evidenceId: string): void {
    const revealed = this.#sessions.get(id)?.revealed;
    if (!revealed) return;
    revealed.add(evidenceId);
    if (revealed.size > MAX_REVEALED_EVIDENCE) revealed.delete(revealed.values().next().value as string);
  }

  /** Whether the session revealed the finding this evidence blob belongs to. */
  evidenceGranted(id: string, evidenceId: string): boolean {
    return this.#sessions.get(id)?.revealed.has(evidenceId) ?? false;
  }

  logout(id: string | undefined): void {
    if (id) this.#sessions.delete(id);
  }
}

/** What the reveal log records of a session: a digest, never the id itself. */
export function sessionLabel(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 16);
}
