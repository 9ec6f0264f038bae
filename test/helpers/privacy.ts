// The fixed payload key of the tests: startEngine encrypts with it unless told otherwise, so every
// integration test runs with payload encryption on, as `npm start` does.
import { parsePayloadKeys, PayloadEncryptionCodec } from '../../privacy/codec';

/** PAYLOAD_KEYS for tests (never use it anywhere else). */
export const TEST_PAYLOAD_KEYS = `test-k1:${Buffer.from('omnijourney-test-payload-key-32b').toString('base64')}`;

export function testCodec(keys = TEST_PAYLOAD_KEYS): PayloadEncryptionCodec {
  return new PayloadEncryptionCodec(parsePayloadKeys(keys));
}
