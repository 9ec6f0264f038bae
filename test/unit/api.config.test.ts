// The ingest API's settings in config/config.ts.
import { DEV_OPERATOR_TOKEN, DEV_WRITE_KEY, loadConfig } from '../../config/config';

test('defaults: 127.0.0.1:3000, the development write key and operator token, 1000 events/s', () => {
  expect(loadConfig({}).api).toEqual({
    port: 3000,
    host: '127.0.0.1',
    writeKeys: [DEV_WRITE_KEY],
    usesDevKey: true,
    operatorTokens: [DEV_OPERATOR_TOKEN],
    usesDevOperatorToken: true,
    rateLimit: { perSecond: 1000, burst: 1000 },
    temporalTimeoutMs: 5000,
  });
});

test('keys are a comma list; a low rate still lets a full batch through', () => {
  // Listening beyond loopback also needs the other secrets of the API (test/unit/config.secrets.test.ts).
  const reachable = {
    PREFERENCES_SECRET: 'prefs-0123456789abcdef',
    TWILIO_AUTH_TOKEN: 'twilio-0123456789',
    PHONE_LOOKUP_SECRET: 'lookup-0123456789abcdef',
    CODEC_AUTH_TOKEN: 'codec-0123456789abcdef',
    OPERATOR_TOKENS: 'operator-0123456789abcdef',
  };
  const api = loadConfig(
    { API_WRITE_KEYS: ' wk_aaaaaaaaaaaaaaaa , wk_bbbbbbbbbbbbbbbb,', API_RATE_LIMIT: '5', API_PORT: '8080', API_HOST: '0.0.0.0', ...reachable },
    { role: 'api' },
  ).api;
  expect(api).toMatchObject({
    port: 8080,
    host: '0.0.0.0',
    writeKeys: ['wk_aaaaaaaaaaaaaaaa', 'wk_bbbbbbbbbbbbbbbb'],
    usesDevKey: false,
    rateLimit: { perSecond: 5, burst: 100 },
  });
  expect(loadConfig({ API_RATE_LIMIT: '5', API_RATE_BURST: '10' }).api.rateLimit).toEqual({ perSecond: 5, burst: 10 });
});

test('a bad key list is refused without echoing the keys', () => {
  expect(() => loadConfig({ API_WRITE_KEYS: 'short-secret' })).toThrow(/API_WRITE_KEYS\.0: each write key needs at least 16 characters \(value hidden\)/);
  expect(() => loadConfig({ API_WRITE_KEYS: 'short-secret' })).not.toThrow(/short-secret/);
  expect(() => loadConfig({ API_WRITE_KEYS: ' , ' })).toThrow(/API_WRITE_KEYS: expected at least one write key/);
  expect(() => loadConfig({ API_RATE_LIMIT: '0' })).toThrow(/API_RATE_LIMIT/);
});

test('the development write key is refused where the API can be reached from elsewhere, with what to set', () => {
  expect(() => loadConfig({ API_HOST: '0.0.0.0' }, { role: 'api' })).toThrow(
    /API_WRITE_KEYS: required when API_HOST \(0\.0\.0\.0\) is not a loopback address, since the API can be reached from other machines; .* Set your own keys/,
  );
  expect(loadConfig({ API_HOST: 'localhost' }, { role: 'api' }).api.usesDevKey).toBe(true);
});
