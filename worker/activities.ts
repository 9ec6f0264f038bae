// Wires the real channel clients into the activities the worker registers.
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { createDeliveryActivities } from '../activities/delivery';
import { createEmailActivities } from '../activities/email';
import { createTemplateRenderer, type TemplateRenderer } from '../activities/templates';
import type { DeliveryActivities } from '../activities/types';
import type { Config } from '../config/config';

export const templatesDir = join(__dirname, '..', 'templates');

export function createRenderer(): TemplateRenderer {
  return createTemplateRenderer({ dir: templatesDir });
}

export function createSmtpTransport(smtp: Config['smtp']) {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.pass ?? '' } : undefined,
    // A local inbox has no certificate; a real relay on 587 negotiates STARTTLS.
    ignoreTLS: !smtp.secure && (smtp.host === '127.0.0.1' || smtp.host === 'localhost'),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}

export function createWorkerActivities(config: Config, renderer = createRenderer()): DeliveryActivities {
  const email = createEmailActivities({ transport: createSmtpTransport(config.smtp), from: config.smtp.from, renderer });
  return createDeliveryActivities({ email: email.sendEmail });
}
