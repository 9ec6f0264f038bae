// All configuration, parsed once from the environment into one typed object. Library code never
// reads process.env; entry points call loadConfig() and pass the result down.
import { z } from 'zod';
import type { EngineConfig } from '../workflows/engineConfig';
import { DEFAULT_ENGINE_CONFIG } from '../workflows/engineConfig';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(1).max(65535);

export const ConfigSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('omnijourney'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  OMNIJOURNEY_DATA_DIR: z.string().min(1).default('.data'),
  SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  SMTP_PORT: port.default(1025),
  SMTP_SECURE: bool.default(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASS: z.string().optional(),
  EMAIL_FROM: z.string().min(3).default('Acme <hello@acme.test>'),
  MAILDEV_WEB_PORT: port.default(1080),
  CAP_PER_DAY: z.coerce.number().int().min(0).default(2),
  CAP_PER_WEEK: z.coerce.number().int().min(0).default(5),
  QUIET_HOURS: z
    .string()
    .regex(/^(off|([01]?\d|2[0-3]):[0-5]\d-([01]?\d|2[0-3]):[0-5]\d)$/, 'expected "21:00-08:00" (24-hour HH:MM-HH:MM) or "off"')
    .default('21:00-08:00'),
});

export interface Config {
  temporal: { address?: string; namespace: string; tls: boolean; apiKey?: string; taskQueue: string; port: number; uiPort: number };
  dataDir: string;
  smtp: { host: string; port: number; secure: boolean; user?: string; pass?: string; from: string; inboxPort: number };
  engine: EngineConfig;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}\nFix these environment variables (see README "Configuration").`);
  }
  const e = parsed.data;
  const [qs, qe] = e.QUIET_HOURS === 'off' ? [] : e.QUIET_HOURS.split('-');
  return {
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
    smtp: { host: e.SMTP_HOST, port: e.SMTP_PORT, secure: e.SMTP_SECURE, user: e.SMTP_USER, pass: e.SMTP_PASS, from: e.EMAIL_FROM, inboxPort: e.MAILDEV_WEB_PORT },
    engine: {
      ...DEFAULT_ENGINE_CONFIG,
      policy: {
        caps: { perDay: e.CAP_PER_DAY, perWeek: e.CAP_PER_WEEK },
        quietHours: qs && qe ? { start: qs, end: qe } : null,
      },
    },
  };
}

/** The address the worker, API and CLI connect to: the configured cluster, or the local dev server. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
}
