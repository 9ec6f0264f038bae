// What the hostile-input and hardening suites send: requests as raw bytes on a fresh socket (no client
// library between the test and the server rewrites them), forms, and Twilio's request signature.
import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { customerWorkflowId } from '../../domain/messages';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request to 127.0.0.1:`port`, answered within 30 s. */
export function rawRequest(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent: false, headers: { connection: 'close', ...headers }, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path.slice(0, 80)}: no answer in 30 s`)));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
export const form = (params: Record<string, string>) => new URLSearchParams(params).toString();

/** X-Twilio-Signature: HMAC-SHA1 of the URL followed by the sorted form fields, with the auth token. */
export const twilioSignature = (token: string, url: string, params: Record<string, string>) =>
  createHmac('sha1', token)
    .update(
      Buffer.from(
        Object.keys(params)
          .sort()
          .reduce((acc, k) => acc + k + params[k], url),
        'utf-8',
      ),
    )
    .digest('base64');

/** Whether the customer's workflow exists (nothing an attack sent may create one). */
export async function customerExists(client: Client, customerId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(customerWorkflowId(customerId)).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
