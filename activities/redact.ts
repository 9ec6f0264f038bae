// Personal data out of error messages. A failed send's message ends up in the worker's log ("Activity
// failed"), in Temporal's history (failure messages are not encrypted by the payload codec) and in the
// customer's ledger (`detail`). None of them needs the whole address: the customer id finds the customer,
// and the masked form says which address it was. Providers echo the address in their answers (Twilio's
// "The 'To' number +1… is not a valid phone number", an SMTP server's "<ada@…>: Recipient address
// rejected"), so their text is scrubbed too.

/** "+14155550100" → "…0100" (the last four digits, as the preference centre shows them). */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.length > 4 ? `…${digits.slice(-4)}` : '…';
}

/** "ada.lovelace@example.com" → "a…@example.com". */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at > 0 ? `${email[0]}…${email.slice(at)}` : '…';
}

const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
// A phone number in E.164 or as a run of 8+ digits (national forms with separators too), not part of a word.
const PHONE = /(?<![\w.])\+?\(?\d(?:[\s()-]{0,2}\d){7,15}(?![\w])/g;

/** The text with every email address and phone number in it masked. */
export function redact(text: string): string {
  return text.replace(EMAIL, (m) => maskEmail(m)).replace(PHONE, (m) => maskPhone(m));
}
