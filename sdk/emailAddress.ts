// What an `email` trait may hold: exactly one bare address. The trait becomes the To of a mail, and mail
// software reads a list, a display name or a header break into it ("a@x.com, b@evil.example",
// "a@x.com\r\nBcc: b@evil.example"), so one pattern decides it everywhere: the API's schemas (and from them
// /openapi.json), every event's traits (sdk/events.ts), j.updateTraits, and the email channel, which refuses
// anything else as `invalid-address` (a value stored before this check cannot be sent either). Pure, no I/O:
// workflows use it.

/** RFC 5321's limit on a path, less its angle brackets. */
export const EMAIL_ADDRESS_MAX_LENGTH = 254;

const ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-";
const LOCAL = `[${ATEXT}]+(?:\\.[${ATEXT}]+)*`;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A dot-atom local part (no quotes, comments or spaces), one `@`, and a host name of at least two labels
 *  whose last one starts with a letter (no IP literals, no single-label hosts). ASCII only: internationalised
 *  domains in their `xn--` form. The API's document carries this pattern, so keep it free of flags. */
export const EMAIL_ADDRESS = new RegExp(`^${LOCAL}@(?:${LABEL}\\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]$`);

export const EMAIL_ADDRESS_EXPECTED = 'expected exactly one email address';

/** Why `value` is not exactly one email address, in words a person can act on; undefined when it is one. */
export function emailAddressProblem(value: unknown): string | undefined {
  if (typeof value !== 'string')
    return `got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`}, not a string`;
  if (value.length > EMAIL_ADDRESS_MAX_LENGTH) return `it is ${value.length} characters long, over the ${EMAIL_ADDRESS_MAX_LENGTH} an address can have`;
  if (EMAIL_ADDRESS.test(value)) return undefined;
  if (value === '') return 'it is empty (send null to remove the trait)';
  if (/[\r\n]/.test(value)) return 'it contains a line break';
  if (/[,;]/.test(value)) return 'it contains "," or ";", which separate several addresses';
  if (/[<>"()]/.test(value)) return 'it contains angle brackets, quotes or parentheses: give the bare address, without a name';
  if (/:/.test(value)) return 'it contains ":" (an address group)';
  if (/\s/.test(value)) return 'it contains whitespace';
  const ats = value.split('@').length - 1;
  if (ats !== 1) return ats === 0 ? 'it has no "@"' : `it has ${ats} "@"`;
  if (!new RegExp(`^${LOCAL}$`).test(value.slice(0, value.indexOf('@'))))
    return 'the part before "@" is not a plain address (letters, digits, dots not at either end or doubled)';
  return `the domain is not a host name like "example.com" (ASCII labels of letters, digits and "-", internationalised ones in their "xn--" form)`;
}

export function isEmailAddress(value: unknown): value is string {
  return emailAddressProblem(value) === undefined;
}
