// MailDev's command line as `npm start` runs it (scripts/start.ts), here so a test starts it the same way.
// MailDev 3 binds SMTP to `--ip` and its web inbox to `--web-ip`, which defaults to 0.0.0.0. The inbox holds
// every mail with each customer's signed preference and unsubscribe links, so both listen on loopback only.
export interface MaildevOptions {
  smtpPort: number;
  webPort: number;
  /** Where the mails are kept. */
  mailDirectory: string;
}

/** The address MailDev's SMTP server and web inbox listen on. */
export const MAILDEV_HOST = '127.0.0.1';

export function maildevArgs(o: MaildevOptions): string[] {
  return [
    '--ip',
    MAILDEV_HOST,
    '--smtp',
    String(o.smtpPort),
    '--web-ip',
    MAILDEV_HOST,
    '--web',
    String(o.webPort),
    '--mail-directory',
    o.mailDirectory,
    '--silent',
  ];
}
