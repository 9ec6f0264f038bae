// All configuration, parsed once from the environment into one typed object. Library code never
// reads process.env; entry points call loadConfig() and pass the result down.
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import type { EngineConfig } from '../domain/engineConfig';
import { DEFAULT_ENGINE_CONFIG } from '../domain/engineConfig';
import { parsePayloadKeys, type PayloadKey } from '../privacy/codec';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(1).max(65535);
const onOff = z.enum(['on', 'off', 'true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'on' || v === 'true' || v === '1' || v === 'yes');
const commaList = z.string().transform((v) =>
  v
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean),
);
const isOrigin = (o: string): boolean => {
  try {
    const u = new URL(o);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o;
  } catch {
    return false;
  }
};
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

/** Signs preference-centre and unsubscribe links when PREFERENCES_SECRET is unset. DEVELOPMENT ONLY: anyone
 *  who knows it can unsubscribe any customer, so production must set PREFERENCES_SECRET. */
export const DEV_PREFERENCES_SECRET = 'oj-dev-preferences-secret-NOT-FOR-PRODUCTION';
/** A well-formed but fake Twilio account for the local Prism mock. */
export const DEV_TWILIO_ACCOUNT_SID = 'AC00000000000000000000000000000000';
/** The Twilio auth token when TWILIO_AUTH_TOKEN is unset. DEVELOPMENT ONLY: it is public, and the API checks
 *  Twilio's webhook signatures (STOP, START, status callbacks) with it. */
export const DEV_TWILIO_AUTH_TOKEN = 'dev-auth-token';
/** Keys the PhoneLookup search attribute when PHONE_LOOKUP_SECRET is unset. DEVELOPMENT ONLY: with a public key
 *  the HMAC of a phone number is reversed by hashing every number of a region. */
export const DEV_PHONE_LOOKUP_SECRET = DEFAULT_ENGINE_CONFIG.lookupSecret;
/** E.164 phone numbers: + country code and subscriber number, 8 to 15 digits. */
export const E164 = /^\+[1-9]\d{7,14}$/;

export const ConfigSchema = z.object({
  /** `production` turns production mode on, as NODE_ENV=production does (README "Configuration"). */
  OMNIJOURNEY_ENV: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['production', 'development'], { error: 'expected "production" or "development"' }))
    .optional(),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('omnijourney'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  OMNIJOURNEY_DATA_DIR: z.string().min(1).default('.data'),
  /** The store (PostgreSQL) for facts, the report and the dashboard. Unset: facts are off (npm start sets it to its own server). */
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'expected postgres://user:password@host:5432/database')
    .optional(),
  /** Where the worker spools facts before they reach the database; default <OMNIJOURNEY_DATA_DIR>/facts-spool. */
  FACTS_SPOOL_DIR: z.string().min(1).optional(),
  /** The port of the PostgreSQL server `npm start` runs when DATABASE_URL is unset (data in <OMNIJOURNEY_DATA_DIR>/postgres). */
  POSTGRES_PORT: port.default(5433),
  /** Comma-separated bearer tokens for the operator dashboard (/dashboard); the development token when unset. */
  OPERATOR_TOKENS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().min(16, 'each operator token needs at least 16 characters')).min(1, 'expected at least one operator token'))
    .optional(),
  API_PORT: port.default(3000),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  /** Comma-separated write keys the ingest API accepts; the development key when unset. */
  API_WRITE_KEYS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().min(16, 'each write key needs at least 16 characters')).min(1, 'expected at least one write key'))
    .optional(),
  /** Events per second per write key (token bucket); API_RATE_BURST is the bucket size. */
  API_RATE_LIMIT: z.coerce.number().positive().default(1000),
  API_RATE_BURST: z.coerce.number().int().positive().optional(),
  /** How long the API waits for Temporal before answering 503. */
  API_TEMPORAL_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  SMTP_PORT: port.default(1025),
  SMTP_SECURE: bool.default(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASS: z.string().optional(),
  EMAIL_FROM: z.string().min(3).default('Acme <hello@acme.test>'),
  MAILDEV_WEB_PORT: port.default(1080),
  // Channels (README "Channels"). Where the API is reachable from the outside: links in mails, Twilio callbacks.
  /** Unset: the local API, http://127.0.0.1:$API_PORT. */
  PUBLIC_URL: httpUrl.optional(),
  PREFERENCES_SECRET: z.string().min(16, 'use at least 16 random characters').default(DEV_PREFERENCES_SECRET),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'expected "AC" followed by 32 hex digits')
    .default(DEV_TWILIO_ACCOUNT_SID),
  TWILIO_AUTH_TOKEN: z.string().min(1).default(DEV_TWILIO_AUTH_TOKEN),
  TWILIO_FROM: z.string().regex(E164, 'expected an E.164 number such as +14155550100').default('+15005550006'),
  /** Unset: the local Prism mock on PRISM_PORT. `twilio` (or empty): the real api.twilio.com. */
  TWILIO_API_BASE_URL: z
    .union([
      z.literal('twilio'),
      z.literal(''),
      z.url({ protocol: /^https?$/, error: 'expected a URL such as http://127.0.0.1:4010, or "twilio" for the real API' }),
    ])
    .optional(),
  PRISM_PORT: port.default(4010),
  WEBHOOK_URL: httpUrl.optional(),
  WEBHOOK_SECRET: z.string().min(16, 'use at least 16 random characters').optional(),
  SLACK_WEBHOOK_URL: httpUrl.optional(),
  CHANNEL_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  CAP_PER_DAY: z.coerce.number().int().min(0).default(2),
  CAP_PER_WEEK: z.coerce.number().int().min(0).default(5),
  CAP_EMAIL_PER_DAY: z.coerce.number().int().min(0).optional(),
  CAP_EMAIL_PER_WEEK: z.coerce.number().int().min(0).optional(),
  CAP_SMS_PER_DAY: z.coerce.number().int().min(0).optional(),
  CAP_SMS_PER_WEEK: z.coerce.number().int().min(0).optional(),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Workflows the worker keeps in memory (sticky cache); unset: 250 (worker/createWorker.ts DEFAULT_MAX_CACHED_WORKFLOWS). */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  /** How far the worker's heaps grow past their live size before a full collection, in %; 0: V8's own (worker/heap.ts). */
  WORKER_HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(300).default(30),
  PHONE_LOOKUP_SECRET: z.string().min(16, 'use at least 16 random characters').default(DEV_PHONE_LOOKUP_SECRET),
  // Privacy (README "Privacy"): payload encryption and the codec endpoint for the Temporal UI.
  PAYLOAD_ENCRYPTION: onOff.default(true),
  /** `<keyId>:<base64 32-byte key>`, comma-separated; the first encrypts, all decrypt. Unset: the dev key file. */
  PAYLOAD_KEYS: z
    .string()
    .transform((v, ctx) => {
      try {
        return parsePayloadKeys(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  /** Bearer tokens accepted by /codec/*, comma-separated; unset: loopback callers only, without a token. */
  CODEC_AUTH_TOKEN: commaList
    .pipe(z.array(z.string().min(16, 'each codec token needs at least 16 characters')).min(1, 'expected at least one token'))
    .optional(),
  /** Browser origins (the Temporal UI) allowed to call /codec/*; default: the local dev server's UI. */
  CODEC_CORS_ORIGINS: commaList
    .pipe(
      z
        .array(z.string().refine(isOrigin, 'expected origins such as http://localhost:8233 (scheme, host, port; no path)'))
        .min(1, 'expected at least one origin'),
    )
    .optional(),
  QUIET_HOURS: z
    .string()
    .regex(/^(off|([01]?\d|2[0-3]):[0-5]\d-([01]?\d|2[0-3]):[0-5]\d)$/, 'expected "21:00-08:00" (24-hour HH:MM-HH:MM) or "off"')
    .default('21:00-08:00'),
});

export interface Config {
  /** Production mode (NODE_ENV=production or OMNIJOURNEY_ENV=production): every secret this process uses was
   *  set, none is a development default (loadConfig refuses otherwise). */
  production: boolean;
  temporal: { address?: string; namespace: string; tls: boolean; apiKey?: string; taskQueue: string; port: number; uiPort: number };
  dataDir: string;
  /** The store: facts, the report, the dashboard (store/). Undefined when DATABASE_URL is unset: facts are off. */
  store: { databaseUrl?: string; spoolDir: string; postgresPort: number };
  /** Port of the worker's Prometheus /metrics (0: off). */
  workerMetricsPort: number;
  /** WORKER_MAX_CACHED_WORKFLOWS: the worker's workflow cache size; undefined = DEFAULT_MAX_CACHED_WORKFLOWS (worker/createWorker.ts). */
  workerMaxCachedWorkflows?: number;
  /** WORKER_HEAP_GROWING_PERCENT (worker/heap.ts). */
  workerHeapGrowingPercent: number;
  api: ApiConfig;
  smtp: { host: string; port: number; secure: boolean; user?: string; pass?: string; from: string; inboxPort: number };
  engine: EngineConfig;
  /** Base URL of the public API, without a trailing slash. */
  publicUrl: string;
  channels: ChannelsConfig;
  privacy: PrivacyConfig;
}

export interface PrivacyConfig {
  /** Payload encryption (PAYLOAD_ENCRYPTION, on by default). */
  encryption: boolean;
  /** From PAYLOAD_KEYS (the first encrypts). Undefined: the development key file in the data folder (config/payloadKeys.ts). */
  payloadKeys?: PayloadKey[];
  codec: {
    /** Bearer tokens for /codec/*; empty: only loopback callers, without a token. */
    authTokens: string[];
    /** Origins whose pages (the Temporal UI) may call /codec/* from a browser. */
    corsOrigins: string[];
  };
}

export interface ChannelsConfig {
  /** Signs the preference-centre and one-click unsubscribe links (preferences/token.ts). */
  preferencesSecret: string;
  /** True when PREFERENCES_SECRET is unset and DEV_PREFERENCES_SECRET signs the links. */
  usesDevPreferencesSecret: boolean;
  sms: {
    accountSid: string;
    authToken: string;
    from: string;
    /** Where the twilio client sends its requests instead of https://api.twilio.com; undefined = the real API. */
    apiBaseUrl?: string;
    /** Port `npm start` runs Prism on when apiBaseUrl is the local mock. */
    prismPort: number;
    usesPrism: boolean;
  };
  /** Unset when WEBHOOK_URL is unset: the worker then refuses webhook sends as not configured. */
  webhook?: { url: string; secret: string };
  slack?: { url: string };
  /** HTTP timeout of every channel call (Twilio, webhook, Slack). */
  timeoutMs: number;
}

/** The ingest API's write key when API_WRITE_KEYS is unset: for local development only (printed by `npm start`). */
export const DEV_WRITE_KEY = 'oj_dev_write_key_local_only';
/** The dashboard's operator token when OPERATOR_TOKENS is unset: for local development only (printed by `npm start`). */
export const DEV_OPERATOR_TOKEN = 'oj_dev_operator_token_local_only';

export interface ApiConfig {
  port: number;
  host: string;
  /** Plain keys as configured; the API keeps only their SHA-256 hashes. */
  writeKeys: string[];
  /** True when API_WRITE_KEYS is unset and only DEV_WRITE_KEY is accepted. */
  usesDevKey: boolean;
  /** Bearer tokens of the operator dashboard (never a write key: a write key is refused there). */
  operatorTokens: string[];
  usesDevOperatorToken: boolean;
  /** Token bucket per write key, in events: refills at perSecond, holds at most burst. */
  rateLimit: { perSecond: number; burst: number };
  temporalTimeoutMs: number;
}

export class ConfigError extends Error {}

/** The process that loads the configuration: it decides which secrets must be set (README "Configuration"). */
export type ConfigRole = 'api' | 'worker' | 'cli' | 'simulate';

export interface LoadConfigOptions {
  /** The process (or processes, for `npm start`) this configuration is for. Entry points say which; without it
   *  only the secrets that the API, the worker and the CLI all use are checked (PREFERENCES_SECRET, PAYLOAD_KEYS).
   *  `simulate` (a throwaway time-skipping server, no encryption, nothing sent) needs none. */
  role?: ConfigRole | readonly ConfigRole[];
}

/**
 * Parses the environment once. Every problem is collected and thrown as one ConfigError that names each variable
 * and what to set: invalid values, and the secrets the role needs that are unset or a development default, in
 * production mode (NODE_ENV=production or OMNIJOURNEY_ENV=production) or when the API can be reached from other
 * machines (a non-loopback API_HOST or PUBLIC_URL).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, options: LoadConfigOptions = {}): Config {
  const parsed = ConfigSchema.safeParse(env);
  // Never echo secrets (write keys, API keys, passwords) into logs.
  const shown = (name: string) => (/KEY|PASS|SECRET|TOKEN|WEBHOOK_URL|DATABASE_URL/.test(name) ? '(value hidden)' : `(got ${JSON.stringify(env[name])})`);
  const issues = parsed.success ? [] : parsed.error.issues;
  const lines = issues.map((i) => `  ${i.path.join('.')}: ${i.message} ${shown(String(i.path[0]))}`);
  const invalid = new Set(issues.map((i) => String(i.path[0])));
  const mode = productionMode(env);
  if (mode.conflict)
    lines.push(
      `  OMNIJOURNEY_ENV: "development" contradicts ${mode.conflict}; remove OMNIJOURNEY_ENV to run in production mode, or unset NODE_ENV to run in development`,
    );
  lines.push(
    ...secretProblems(env, options.role, mode.source)
      .filter((p) => !invalid.has(p.name))
      .map((p) => `  ${p.name}: ${p.message}`),
  );
  if (lines.length || !parsed.success) {
    const header = mode.source ? `invalid configuration for production mode (${mode.source}):` : 'invalid configuration:';
    throw new ConfigError(`${header}\n${lines.join('\n')}\nFix these environment variables (see README "Configuration").`);
  }
  const e = parsed.data;
  const [qs, qe] = e.QUIET_HOURS === 'off' ? [] : e.QUIET_HOURS.split('-');
  return {
    production: Boolean(mode.source),
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      tls: e.TEMPORAL_TLS || Boolean(e.TEMPORAL_API_KEY),
      apiKey: e.TEMPORAL_API_KEY,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
    },
    dataDir: e.OMNIJOURNEY_DATA_DIR,
    store: {
      databaseUrl: e.DATABASE_URL,
      spoolDir: e.FACTS_SPOOL_DIR ?? `${e.OMNIJOURNEY_DATA_DIR.replace(/\/+$/, '')}/facts-spool`,
      postgresPort: e.POSTGRES_PORT,
    },
    workerMetricsPort: e.WORKER_METRICS_PORT,
    workerMaxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    workerHeapGrowingPercent: e.WORKER_HEAP_GROWING_PERCENT,
    api: {
      port: e.API_PORT,
      host: e.API_HOST,
      writeKeys: e.API_WRITE_KEYS ?? [DEV_WRITE_KEY],
      usesDevKey: !e.API_WRITE_KEYS,
      operatorTokens: e.OPERATOR_TOKENS ?? [DEV_OPERATOR_TOKEN],
      usesDevOperatorToken: !e.OPERATOR_TOKENS,
      rateLimit: { perSecond: e.API_RATE_LIMIT, burst: e.API_RATE_BURST ?? Math.max(Math.ceil(e.API_RATE_LIMIT), 100) },
      temporalTimeoutMs: e.API_TEMPORAL_TIMEOUT_MS,
    },
    smtp: {
      host: e.SMTP_HOST,
      port: e.SMTP_PORT,
      secure: e.SMTP_SECURE,
      user: e.SMTP_USER,
      pass: e.SMTP_PASS,
      from: e.EMAIL_FROM,
      inboxPort: e.MAILDEV_WEB_PORT,
    },
    engine: {
      ...DEFAULT_ENGINE_CONFIG,
      policy: {
        caps: {
          perDay: e.CAP_PER_DAY,
          perWeek: e.CAP_PER_WEEK,
          channels: {
            ...(e.CAP_EMAIL_PER_DAY !== undefined || e.CAP_EMAIL_PER_WEEK !== undefined
              ? { email: { perDay: e.CAP_EMAIL_PER_DAY, perWeek: e.CAP_EMAIL_PER_WEEK } }
              : {}),
            ...(e.CAP_SMS_PER_DAY !== undefined || e.CAP_SMS_PER_WEEK !== undefined ? { sms: { perDay: e.CAP_SMS_PER_DAY, perWeek: e.CAP_SMS_PER_WEEK } } : {}),
          },
        },
        quietHours: qs && qe ? { start: qs, end: qe } : null,
      },
      lookupSecret: e.PHONE_LOOKUP_SECRET,
    },
    publicUrl: (e.PUBLIC_URL ?? `http://127.0.0.1:${e.API_PORT}`).replace(/\/+$/, ''),
    channels: channelsConfig(e),
    privacy: {
      encryption: e.PAYLOAD_ENCRYPTION,
      payloadKeys: e.PAYLOAD_KEYS,
      codec: {
        authTokens: e.CODEC_AUTH_TOKEN ?? [],
        corsOrigins: e.CODEC_CORS_ORIGINS ?? [`http://localhost:${e.TEMPORAL_UI_PORT}`, `http://127.0.0.1:${e.TEMPORAL_UI_PORT}`],
      },
    },
  };
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** A host name or IP address that only this machine can reach: `localhost`, 127.0.0.0/8, ::1, and their
 *  IPv4-mapped IPv6 forms (::ffff:127.0.0.1). Anything else, `0.0.0.0`, `::` and every other name included, is
 *  reachable from elsewhere: `127.attacker.example` is a DNS name, not a loopback address. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  const family = isIP(h);
  if (family) return loopback.check(h, family === 6 ? 'ipv6' : 'ipv4');
  return h === 'localhost' || h === 'localhost.';
}

/** The URL's host is a loopback address (the URL parser normalises 127.1, 0x7f.0.0.1 and [::ffff:127.0.0.1]). */
export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

type Env = Record<string, string | undefined>;

/** Production mode and what turned it on, e.g. "NODE_ENV=production"; a contradiction is reported, and counts as production. */
function productionMode(env: Env): { source?: string; conflict?: string } {
  const own = env.OMNIJOURNEY_ENV?.trim().toLowerCase();
  const node = env.NODE_ENV?.trim().toLowerCase() === 'production';
  if (own === 'production') return { source: 'OMNIJOURNEY_ENV=production' };
  if (node) return { source: 'NODE_ENV=production', conflict: own === 'development' ? 'NODE_ENV=production' : undefined };
  return {};
}

interface SecretRule {
  name: string;
  /** The processes that use it: in production mode each of them refuses to start without it. */
  roles: readonly ConfigRole[];
  /** Outside production mode, the processes that refuse its development default once the API can be reached from
   *  other machines: a non-loopback API_HOST or PUBLIC_URL. */
  reachable: readonly ConfigRole[];
  /** Only a non-loopback API_HOST counts, not PUBLIC_URL (a proxy on the machine is what the codec refuses anyway). */
  apiHostOnly?: boolean;
  /** Whether the secret is needed at all with these settings. */
  needed?: (env: Env) => boolean;
  /** 'unset', 'development' (explicitly the development value), or undefined when it is fine. */
  state: (value: string | undefined) => 'unset' | 'development' | undefined;
  /** What goes wrong without it. */
  risk: string;
  /** What to set. */
  fix: string;
}

const devDefault = (dev: string) => (v: string | undefined) => (v === undefined ? 'unset' : v === dev ? 'development' : undefined);
const encryptionOn = (env: Env) => !['off', 'false', '0', 'no'].includes(env.PAYLOAD_ENCRYPTION?.trim() ?? '');
const randomSecret = 'Set at least 16 random characters, e.g. `openssl rand -hex 32`';

/** Every secret with a development default or none, and which process needs it (README "Configuration"). */
const SECRET_RULES: readonly SecretRule[] = [
  {
    name: 'API_WRITE_KEYS',
    roles: ['api'],
    reachable: ['api'],
    state: (v) => (v === undefined ? 'unset' : v.split(',').some((k) => k.trim() === DEV_WRITE_KEY) ? 'development' : undefined),
    risk: 'the development write key is public, so anyone who reaches the API could send events for any customer',
    fix: 'Set your own keys, comma-separated, at least 16 characters each, e.g. `openssl rand -hex 24`',
  },
  {
    name: 'PREFERENCES_SECRET',
    roles: ['api', 'worker', 'cli'],
    reachable: ['api', 'worker', 'cli'],
    state: devDefault(DEV_PREFERENCES_SECRET),
    risk: 'with the development value anyone can forge unsubscribe and preference links for any customer',
    fix: `${randomSecret}, the same on every API, worker and CLI`,
  },
  {
    name: 'TWILIO_ACCOUNT_SID',
    roles: ['worker'],
    reachable: [],
    state: devDefault(DEV_TWILIO_ACCOUNT_SID),
    risk: 'the placeholder account sends SMS only to the local Twilio mock',
    fix: 'Set your Twilio account SID ("AC" and 32 hex digits, from the Twilio console)',
  },
  {
    name: 'TWILIO_AUTH_TOKEN',
    roles: ['api', 'worker'],
    reachable: ['api'],
    state: devDefault(DEV_TWILIO_AUTH_TOKEN),
    risk: `the development token ("${DEV_TWILIO_AUTH_TOKEN}") is public, so anyone could forge Twilio's STOP, START and status webhooks`,
    fix: "Set your Twilio account's auth token (Twilio console, Account info)",
  },
  {
    name: 'PHONE_LOOKUP_SECRET',
    roles: ['api', 'cli'],
    reachable: ['api', 'cli'],
    state: devDefault(DEV_PHONE_LOOKUP_SECRET),
    risk: "with the development value the PhoneLookup search attribute gives away customers' phone numbers to anyone who can list workflows",
    fix: `${randomSecret}, the same on every API and CLI, before the first customer (each customer keeps the value it started with)`,
  },
  {
    name: 'PAYLOAD_KEYS',
    roles: ['api', 'worker', 'cli'],
    // The development key file is random, not public: it is refused in production mode only.
    reachable: [],
    needed: encryptionOn,
    state: (v) => (v === undefined ? 'unset' : undefined),
    risk: 'the development key file in the data folder is for one machine, and its backups hold the key next to the data',
    fix: 'Create a key with  echo "k1:$(openssl rand -base64 32)"  and give every worker, API and CLI the same value (or set PAYLOAD_ENCRYPTION=off to store customer data unencrypted)',
  },
  {
    name: 'CODEC_AUTH_TOKEN',
    roles: ['api'],
    reachable: ['api'],
    apiHostOnly: true,
    needed: encryptionOn,
    state: (v) => (v === undefined ? 'unset' : undefined),
    risk: "/codec/decode hands out every customer's data, and without a token it trusts any caller that looks local",
    fix: 'Set one or more tokens, comma-separated, at least 16 random characters each, e.g. `openssl rand -hex 32` (the proxy in front of the Temporal UI sends one as `Authorization: Bearer <token>`)',
  },
  {
    name: 'OPERATOR_TOKENS',
    roles: ['api'],
    reachable: ['api'],
    state: (v) => (v === undefined ? 'unset' : v.split(',').some((k) => k.trim() === DEV_OPERATOR_TOKEN) ? 'development' : undefined),
    risk: "the development operator token is public, so anyone who reaches the API could read every journey's dashboard",
    fix: 'Set your own tokens, comma-separated, at least 16 characters each, e.g. `openssl rand -hex 24`',
  },
];

/** The secrets `role` needs that are unset or a development default, each with what to set. */
function secretProblems(env: Env, role: LoadConfigOptions['role'], production: string | undefined): Array<{ name: string; message: string }> {
  const roles: readonly ConfigRole[] | undefined = role === undefined ? undefined : typeof role === 'string' ? [role] : role;
  const uses = (list: readonly ConfigRole[]) =>
    roles ? roles.some((r) => list.includes(r)) : (['api', 'worker', 'cli'] as const).every((r) => list.includes(r));
  const apiHost = env.API_HOST?.trim() || '127.0.0.1';
  const apiHostReason = isLoopbackHost(apiHost) ? undefined : `API_HOST (${apiHost}) is not a loopback address`;
  // An invalid PUBLIC_URL is reported as such; what it would require follows once it parses.
  const publicUrlReason =
    env.PUBLIC_URL && /^https?:\/\//i.test(env.PUBLIC_URL) && URL.canParse(env.PUBLIC_URL) && !isLoopbackUrl(env.PUBLIC_URL)
      ? `PUBLIC_URL (${env.PUBLIC_URL}) is not a loopback address`
      : undefined;
  const problems: Array<{ name: string; message: string }> = [];
  for (const rule of SECRET_RULES) {
    if (rule.needed && !rule.needed(env)) continue;
    const state = rule.state(env[rule.name]);
    if (!state) continue;
    let why: string | undefined;
    if (production && uses(rule.roles))
      why = state === 'unset' ? `required in production mode (${production})` : `the development value is refused in production mode (${production})`;
    else if (!production && uses(rule.reachable)) {
      const reason = rule.apiHostOnly ? apiHostReason : (apiHostReason ?? publicUrlReason);
      if (reason)
        why = `${state === 'unset' ? 'required' : 'the development value is refused'} when ${reason}, since the API can be reached from other machines`;
    }
    if (why) problems.push({ name: rule.name, message: `${why}; ${rule.risk}. ${rule.fix}.` });
  }
  // Not a development default, but the same kind of mistake: an unsigned webhook.
  if (env.WEBHOOK_URL && env.WEBHOOK_SECRET === undefined) {
    problems.push({
      name: 'WEBHOOK_SECRET',
      message: `required when WEBHOOK_URL is set (webhooks are always signed). ${randomSecret}, and check the signatures with it in the receiver (README "Channels").`,
    });
  }
  return problems;
}

function channelsConfig(e: z.infer<typeof ConfigSchema>): ChannelsConfig {
  const prism = `http://127.0.0.1:${e.PRISM_PORT}`;
  const base = e.TWILIO_API_BASE_URL;
  // Unset: the local Prism mock while the account is the dev placeholder; real credentials mean real Twilio.
  const real = e.TWILIO_ACCOUNT_SID !== DEV_TWILIO_ACCOUNT_SID;
  const apiBaseUrl = base === undefined ? (real ? undefined : prism) : base === 'twilio' || base === '' ? undefined : base.replace(/\/+$/, '');
  let usesPrism = false;
  if (apiBaseUrl) {
    const u = new URL(apiBaseUrl);
    usesPrism = (u.hostname === '127.0.0.1' || u.hostname === 'localhost') && Number(u.port || 80) === e.PRISM_PORT;
  }
  return {
    preferencesSecret: e.PREFERENCES_SECRET,
    usesDevPreferencesSecret: e.PREFERENCES_SECRET === DEV_PREFERENCES_SECRET,
    sms: { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN, from: e.TWILIO_FROM, apiBaseUrl, prismPort: e.PRISM_PORT, usesPrism },
    webhook: e.WEBHOOK_URL && e.WEBHOOK_SECRET ? { url: e.WEBHOOK_URL, secret: e.WEBHOOK_SECRET } : undefined,
    slack: e.SLACK_WEBHOOK_URL ? { url: e.SLACK_WEBHOOK_URL } : undefined,
    timeoutMs: e.CHANNEL_TIMEOUT_MS,
  };
}

/** The address the worker, API and CLI connect to: the configured cluster, or the local dev server. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
}
