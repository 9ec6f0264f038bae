// Secrets in config/config.ts: production mode (NODE_ENV=production or OMNIJOURNEY_ENV=production) refuses every
// secret a process uses that is unset or a development default, and so does any mode once the API can be reached
// from other machines (a non-loopback API_HOST or PUBLIC_URL). All problems come in one message, each line naming
// the variable and what to set. These tests read that message as an operator would.
import {
  ConfigError,
  DEV_PHONE_LOOKUP_SECRET,
  DEV_PREFERENCES_SECRET,
  DEV_TWILIO_ACCOUNT_SID,
  DEV_TWILIO_AUTH_TOKEN,
  DEV_WRITE_KEY,
  isLoopbackHost,
  isLoopbackUrl,
  loadConfig,
  type ConfigRole,
  type LoadConfigOptions,
} from '../../config/config';
import { TEST_PAYLOAD_KEYS } from '../helpers/privacy';

/** Every secret, set to a value of one's own. */
const SECRETS = {
  API_WRITE_KEYS: 'wk_prod_0123456789abcdef,wk_prod_fedcba9876543210',
  PREFERENCES_SECRET: 'prefs-prod-secret-0123456789abcdef',
  TWILIO_ACCOUNT_SID: `AC${'ab'.repeat(16)}`,
  TWILIO_AUTH_TOKEN: 'twilio-prod-token-0123456789',
  PHONE_LOOKUP_SECRET: 'lookup-prod-secret-0123456789abcdef',
  PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
  CODEC_AUTH_TOKEN: 'codec-prod-token-0123456789abcdef',
  OPERATOR_TOKENS: 'operator-prod-token-0123456789abcdef',
};
type Secret = keyof typeof SECRETS;
const ALL = Object.keys(SECRETS) as Secret[];

/** What each process needs in production mode (README "Configuration"). */
const NEEDS: Record<Exclude<ConfigRole, 'simulate'>, Secret[]> = {
  api: ['API_WRITE_KEYS', 'PREFERENCES_SECRET', 'TWILIO_AUTH_TOKEN', 'PHONE_LOOKUP_SECRET', 'PAYLOAD_KEYS', 'CODEC_AUTH_TOKEN', 'OPERATOR_TOKENS'],
  worker: ['PREFERENCES_SECRET', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'PAYLOAD_KEYS'],
  cli: ['PREFERENCES_SECRET', 'PHONE_LOOKUP_SECRET', 'PAYLOAD_KEYS'],
};

/** The ConfigError's message, or '' when the configuration loads. */
function refusal(env: Record<string, string>, options?: LoadConfigOptions): string {
  try {
    loadConfig(env, options);
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
}

/** The variables the message has a line for, in order. */
const named = (message: string): string[] => [...message.matchAll(/^ {2}([A-Z_]+)[.:]/gm)].map((m) => m[1]);

describe('production mode', () => {
  test.each(Object.entries(NEEDS))('the %s refuses to start without its secrets, naming every one in one message with what to set', (role, needs) => {
    const message = refusal({ NODE_ENV: 'production' }, { role: role as ConfigRole });
    expect(message.split('\n')[0]).toBe('invalid configuration for production mode (NODE_ENV=production):');
    expect(named(message)).toEqual(needs);
    for (const name of needs) {
      const line = message.split('\n').find((l) => l.startsWith(`  ${name}:`))!;
      // Why, what goes wrong, what to do.
      expect(line).toMatch(new RegExp(`^  ${name}: required in production mode \\(NODE_ENV=production\\); .+\\. (Set|Create) .+\\.$`));
    }
    expect(message).toMatch(/Fix these environment variables \(see README "Configuration"\)\.$/);
  });

  test('the lines say what to set: random secrets with openssl, a payload key, the Twilio console', () => {
    const message = refusal({ NODE_ENV: 'production' }, { role: ['api', 'worker'] });
    expect(message).toContain(
      'PREFERENCES_SECRET: required in production mode (NODE_ENV=production); with the development value anyone can forge unsubscribe and preference links for any customer. Set at least 16 random characters, e.g. `openssl rand -hex 32`',
    );
    expect(message).toMatch(/API_WRITE_KEYS: .* Set your own keys, comma-separated, at least 16 characters each, e\.g\. `openssl rand -hex 24`/);
    expect(message).toMatch(/TWILIO_AUTH_TOKEN: .*forge Twilio's STOP, START and status webhooks\. Set your Twilio account's auth token/);
    expect(message).toMatch(/TWILIO_ACCOUNT_SID: .*sends SMS only to the local Twilio mock\. Set your Twilio account SID/);
    expect(message).toMatch(/PHONE_LOOKUP_SECRET: .*gives away customers' phone numbers.* Set at least 16 random characters/);
    expect(message).toMatch(/PAYLOAD_KEYS: .* Create a key with {2}echo "k1:\$\(openssl rand -base64 32\)"/);
    expect(message).toMatch(/CODEC_AUTH_TOKEN: .*\/codec\/decode hands out every customer's data.* Set one or more tokens/);
  });

  test('`npm start` (the API and the worker) lists what either needs, once each', () => {
    expect(named(refusal({ NODE_ENV: 'production' }, { role: ['api', 'worker'] }))).toEqual([
      'API_WRITE_KEYS',
      'PREFERENCES_SECRET',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'PHONE_LOOKUP_SECRET',
      'PAYLOAD_KEYS',
      'CODEC_AUTH_TOKEN',
      'OPERATOR_TOKENS',
    ]);
  });

  test('OMNIJOURNEY_ENV=production turns it on too (any case), and the message says which variable did', () => {
    expect(refusal({ OMNIJOURNEY_ENV: 'production' }, { role: 'cli' }).split('\n')[0]).toBe(
      'invalid configuration for production mode (OMNIJOURNEY_ENV=production):',
    );
    expect(named(refusal({ OMNIJOURNEY_ENV: ' Production ' }, { role: 'cli' }))).toEqual(NEEDS.cli);
    expect(named(refusal({ NODE_ENV: 'PRODUCTION' }, { role: 'cli' }))).toEqual(NEEDS.cli);
  });

  test('with every secret set, each process loads and knows it is in production mode', () => {
    for (const role of ['api', 'worker', 'cli'] as const) {
      const config = loadConfig({ NODE_ENV: 'production', ...SECRETS }, { role });
      expect(config.production).toBe(true);
      expect(config.channels.usesDevPreferencesSecret).toBe(false);
      expect(config.api.usesDevKey).toBe(false);
    }
    // Only what the process uses: a worker needs no write key, the CLI no Twilio account.
    expect(loadConfig({ NODE_ENV: 'production', ...pick(NEEDS.worker) }, { role: 'worker' }).production).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', ...pick(NEEDS.cli) }, { role: 'cli' }).production).toBe(true);
  });

  test.each(ALL)('without %s, the processes that use it refuse, naming only it', (name) => {
    const env = { NODE_ENV: 'production', ...SECRETS } as Record<string, string>;
    delete env[name];
    for (const [role, needs] of Object.entries(NEEDS)) {
      const message = refusal(env, { role: role as ConfigRole });
      expect(named(message)).toEqual(needs.includes(name) ? [name] : []);
      // The secrets that are set never show up.
      for (const value of Object.values(SECRETS)) expect(message).not.toContain(value);
    }
  });

  test.each([
    ['API_WRITE_KEYS', `wk_prod_0123456789abcdef,${DEV_WRITE_KEY}`, 'api'],
    ['PREFERENCES_SECRET', DEV_PREFERENCES_SECRET, 'worker'],
    ['TWILIO_ACCOUNT_SID', DEV_TWILIO_ACCOUNT_SID, 'worker'],
    ['TWILIO_AUTH_TOKEN', DEV_TWILIO_AUTH_TOKEN, 'api'],
    ['PHONE_LOOKUP_SECRET', DEV_PHONE_LOOKUP_SECRET, 'cli'],
  ] as const)('%s set explicitly to the development value is refused as such', (name, value, role) => {
    const message = refusal({ NODE_ENV: 'production', ...SECRETS, [name]: value }, { role });
    expect(named(message)).toEqual([name]);
    expect(message).toContain(`  ${name}: the development value is refused in production mode (NODE_ENV=production); `);
  });

  test('PAYLOAD_ENCRYPTION=off needs neither PAYLOAD_KEYS nor CODEC_AUTH_TOKEN (there is no codec endpoint then)', () => {
    const { PAYLOAD_KEYS, CODEC_AUTH_TOKEN, ...rest } = SECRETS;
    void PAYLOAD_KEYS;
    void CODEC_AUTH_TOKEN;
    expect(loadConfig({ NODE_ENV: 'production', PAYLOAD_ENCRYPTION: 'off', ...rest }, { role: 'api' }).privacy.encryption).toBe(false);
  });

  test('invalid values and missing secrets come in the same message', () => {
    const message = refusal({ NODE_ENV: 'production', API_RATE_LIMIT: '0', PREFERENCES_SECRET: 'short' }, { role: 'api' });
    expect(named(message)).toEqual([
      'API_RATE_LIMIT',
      'PREFERENCES_SECRET',
      'API_WRITE_KEYS',
      'TWILIO_AUTH_TOKEN',
      'PHONE_LOOKUP_SECRET',
      'PAYLOAD_KEYS',
      'CODEC_AUTH_TOKEN',
      'OPERATOR_TOKENS',
    ]);
    // A too-short secret is reported as too short (once), without its value.
    expect(message).toContain('  PREFERENCES_SECRET: use at least 16 random characters (value hidden)');
    expect(message).not.toContain('short (');
  });

  test('OMNIJOURNEY_ENV=development does not quietly override NODE_ENV=production; a typo is not development either', () => {
    const message = refusal({ NODE_ENV: 'production', OMNIJOURNEY_ENV: 'development', ...SECRETS }, { role: 'api' });
    expect(message).toContain(
      'OMNIJOURNEY_ENV: "development" contradicts NODE_ENV=production; remove OMNIJOURNEY_ENV to run in production mode, or unset NODE_ENV to run in development',
    );
    expect(refusal({ OMNIJOURNEY_ENV: 'prod' }, { role: 'api' })).toContain('OMNIJOURNEY_ENV: expected "production" or "development" (got "prod")');
  });

  test('`simulate` needs no secrets, in production mode or not', () => {
    expect(loadConfig({ NODE_ENV: 'production' }, { role: 'simulate' }).production).toBe(true);
    expect(loadConfig({ API_HOST: '0.0.0.0', PUBLIC_URL: 'https://journeys.acme.com' }, { role: 'simulate' }).production).toBe(false);
  });

  test('without a role, the secrets every process uses are checked', () => {
    expect(named(refusal({ NODE_ENV: 'production' }))).toEqual(['PREFERENCES_SECRET', 'PAYLOAD_KEYS']);
  });
});

describe('development (what tests, jest and `npm start` run with)', () => {
  test.each([{}, { NODE_ENV: 'test' }, { NODE_ENV: 'development' }, { OMNIJOURNEY_ENV: 'development' }])(
    '%j: every process starts on the development defaults',
    (env) => {
      for (const role of ['api', 'worker', 'cli', 'simulate', ['api', 'worker']] as const) {
        const config = loadConfig(env, { role });
        expect(config.production).toBe(false);
        expect(config.api.usesDevKey).toBe(true);
      }
    },
  );

  test('jest runs with NODE_ENV=test, not production', () => {
    expect(process.env.NODE_ENV).toBe('test');
  });
});

describe('an API that can be reached from other machines refuses the development secrets', () => {
  test.each(['0.0.0.0', '::', '192.168.1.20', '10.0.0.5', 'api.internal', '127.attacker.example', '::ffff:10.0.0.1'])('API_HOST=%s', (host) => {
    const message = refusal({ API_HOST: host }, { role: 'api' });
    expect(message.split('\n')[0]).toBe('invalid configuration:');
    expect(named(message)).toEqual(['API_WRITE_KEYS', 'PREFERENCES_SECRET', 'TWILIO_AUTH_TOKEN', 'PHONE_LOOKUP_SECRET', 'CODEC_AUTH_TOKEN', 'OPERATOR_TOKENS']);
    expect(message).toContain(
      `  API_WRITE_KEYS: required when API_HOST (${host}) is not a loopback address, since the API can be reached from other machines; `,
    );
    // The development key file is random, not public: only production mode insists on PAYLOAD_KEYS.
    expect(named(message)).not.toContain('PAYLOAD_KEYS');
  });

  test.each([
    'https://127.attacker.example',
    'https://journeys.acme.com',
    'http://localhost.attacker.example',
    'http://0.0.0.0:3000',
    'http://192.168.1.20:3000',
    'http://[::ffff:10.0.0.1]:3000',
    'http://[fe80::1]:3000',
  ])('PUBLIC_URL=%s (CODEC_AUTH_TOKEN only follows API_HOST)', (url) => {
    const message = refusal({ PUBLIC_URL: url }, { role: 'api' });
    expect(named(message)).toEqual(['API_WRITE_KEYS', 'PREFERENCES_SECRET', 'TWILIO_AUTH_TOKEN', 'PHONE_LOOKUP_SECRET', 'OPERATOR_TOKENS']);
    expect(message).toContain(
      `  TWILIO_AUTH_TOKEN: required when PUBLIC_URL (${url}) is not a loopback address, since the API can be reached from other machines; the development token ("dev-auth-token") is public, so anyone could forge Twilio's STOP, START and status webhooks.`,
    );
  });

  test.each(['127.0.0.1', '127.0.0.2', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])(
    'API_HOST=%s is loopback: the development defaults are fine',
    (host) => {
      expect(loadConfig({ API_HOST: host }, { role: 'api' }).api.usesDevKey).toBe(true);
    },
  );

  test.each([
    'http://127.0.0.1:3000',
    'http://127.0.0.1',
    'http://localhost:3000',
    'http://localhost',
    'http://[::1]',
    'http://[::1]:3000',
    'http://[::ffff:127.0.0.1]:3000',
    'http://127.1:3000',
    'http://2130706433:3000',
  ])('PUBLIC_URL=%s is loopback: the development defaults are fine', (url) => {
    expect(loadConfig({ PUBLIC_URL: url }, { role: 'api' }).channels.usesDevPreferencesSecret).toBe(true);
  });

  test('with its own secrets it starts; the write key, preference secret, Twilio token and lookup secret are what it needs', () => {
    const env = { API_HOST: '0.0.0.0', PUBLIC_URL: 'https://journeys.acme.com', ...SECRETS };
    expect(loadConfig(env, { role: 'api' }).production).toBe(false);
    const { PAYLOAD_KEYS, TWILIO_ACCOUNT_SID, ...needed } = SECRETS;
    void PAYLOAD_KEYS;
    void TWILIO_ACCOUNT_SID;
    expect(loadConfig({ API_HOST: '0.0.0.0', ...needed }, { role: 'api' }).api.host).toBe('0.0.0.0');
  });

  test('the worker and the CLI refuse only what they use', () => {
    expect(named(refusal({ PUBLIC_URL: 'https://journeys.acme.com' }, { role: 'worker' }))).toEqual(['PREFERENCES_SECRET']);
    expect(named(refusal({ PUBLIC_URL: 'https://journeys.acme.com' }, { role: 'cli' }))).toEqual(['PREFERENCES_SECRET', 'PHONE_LOOKUP_SECRET']);
  });

  test('the development write key among real ones is refused too', () => {
    expect(refusal({ API_HOST: '0.0.0.0', ...SECRETS, API_WRITE_KEYS: `wk_prod_0123456789abcdef, ${DEV_WRITE_KEY}` }, { role: 'api' })).toContain(
      '  API_WRITE_KEYS: the development value is refused when API_HOST (0.0.0.0) is not a loopback address',
    );
  });
});

test('loopback is decided on the address, not on how the name starts', () => {
  expect(isLoopbackUrl('https://127.attacker.example')).toBe(false);
  expect(isLoopbackUrl('https://127.0.0.1.nip.io')).toBe(false);
  expect(isLoopbackUrl('http://[::ffff:7f00:1]/')).toBe(true);
  expect(isLoopbackUrl('not a url')).toBe(false);
  expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
  expect(isLoopbackHost('::ffff:192.168.0.1')).toBe(false);
  expect(isLoopbackHost('::127.0.0.1')).toBe(false); // IPv4-compatible (deprecated), not loopback
  expect(isLoopbackHost('128.0.0.1')).toBe(false);
});

function pick(names: Secret[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, SECRETS[n]]));
}
