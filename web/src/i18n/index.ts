/**
 * The web client's translation layer: `t('key', { name })` looks a message up in the catalogue
 * of the current locale (falling back to English, en.ts, key by key), fills in `{placeholder}`s
 * and picks the plural form for `count` with Intl.PluralRules. Dates and numbers are formatted
 * with Intl in the same locale (formatNumber, formatDate).
 *
 * The locale is chosen once, before the first render (initLocale, main.tsx): `?locale=` in the
 * address (kept in this browser), else the user's choice in the settings (localStorage
 * `rustchat.locale`), else the browser's languages (navigator.languages), else English.
 *
 * `qps-ploc` is a pseudo-locale for tests: every English message, accented and in brackets
 * (`[Ŝéñð ḿéššåğé]`), generated here at run time, so that any text shown without going through
 * t() stands out as plain English.
 */
import { en, type Message, type PluralForms } from './en.js';

export type { Message, PluralForms };
export type Catalogue = typeof en;
export type MessageKey = keyof Catalogue;

/** The `{name}`s of one message string. */
type PlaceholdersOf<S> = S extends `${string}{${infer P}}${infer Rest}` ? P | PlaceholdersOf<Rest> : never;
type Forms<M> = M extends string ? M : M[keyof M];
/** What the message needs: its placeholders; `count` (a number) for a plural message. */
export type ParamsOf<K extends MessageKey> = Catalogue[K] extends string
  ? { readonly [P in PlaceholdersOf<Catalogue[K]>]: string | number }
  : { readonly [P in Exclude<PlaceholdersOf<Forms<Catalogue[K]>>, 'count'>]: string | number } & { readonly count: number };
/** The second argument of t(): absent for a message without placeholders. */
export type ParamsArg<K extends MessageKey> = [PlaceholdersOf<Forms<Catalogue[K]>>] extends [never]
  ? Catalogue[K] extends string ? [] : [params: ParamsOf<K>]
  : [params: ParamsOf<K>];

/** Another language's catalogue: any subset of the English keys (the rest falls back), same shapes. */
export type Translation = { readonly [K in MessageKey]?: Catalogue[K] extends string ? string : PluralForms };

export const PSEUDO_LOCALE = 'qps-ploc';
export const LOCALE_STORAGE_KEY = 'rustchat.locale';

/** The languages the client speaks (BCP 47 tag → catalogue). Add a language here (README, "Languages"). */
const catalogues: Record<string, Translation> = {
  en,
};

/**
 * Makes a language available (a BCP 47 tag and its catalogue, any subset of the keys). The
 * client's own languages are listed above; this is for tests and for adding one at run time.
 */
export function defineLocale(tag: string, translation: Translation): void {
  if (tag === PSEUDO_LOCALE) throw new Error('The pseudo-locale is generated from English');
  catalogues[tag] = translation;
}

/** The locales a user can choose in the settings, the pseudo-locale last. */
export function availableLocales(): string[] {
  return [...Object.keys(catalogues), PSEUDO_LOCALE];
}

/** What this module uses of the browser (absent under Node: the unit tests), typed here so that it needs no DOM types. */
interface BrowserGlobals {
  readonly document?: { readonly documentElement: { lang: string } };
  readonly localStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void };
  readonly location?: { readonly search: string };
  readonly navigator?: { readonly language?: string; readonly languages?: readonly string[] };
}
const browser = globalThis as unknown as BrowserGlobals;

let current = 'en';
let messages: Translation = en;
let pluralRules = new Intl.PluralRules('en');
let numberFormat = new Intl.NumberFormat('en');

/** The locale in use (a BCP 47 tag: `en`, or `qps-ploc`). */
export function currentLocale(): string {
  return current;
}

/** The locale Intl formats with: English for the pseudo-locale (its output is then pseudo-localised). */
export function intlLocale(): string {
  return current === PSEUDO_LOCALE ? 'en' : current;
}

/** The best supported locale for a list of wanted ones (exact tag, then its language), or undefined. */
export function matchLocale(wanted: readonly (string | null | undefined)[]): string | undefined {
  const known = availableLocales();
  for (const w of wanted) {
    if (w === null || w === undefined || w === '') continue;
    const exact = known.find((k) => k.toLowerCase() === w.toLowerCase());
    if (exact !== undefined) return exact;
    const base = w.split(/[-_]/)[0]!.toLowerCase();
    const byLanguage = known.find((k) => k !== PSEUDO_LOCALE && k.toLowerCase() === base);
    if (byLanguage !== undefined) return byLanguage;
  }
  return undefined;
}

/** Switches the locale (an unsupported one means English). Components read it at render time. */
export function setLocale(locale: string): void {
  current = matchLocale([locale]) ?? 'en';
  messages = current === PSEUDO_LOCALE ? en : catalogues[current] ?? en;
  pluralRules = new Intl.PluralRules(intlLocale());
  numberFormat = new Intl.NumberFormat(intlLocale());
  if (browser.document !== undefined) browser.document.documentElement.lang = current === PSEUDO_LOCALE ? 'en-XA' : current;
}

function storage(): BrowserGlobals['localStorage'] {
  try {
    return browser.localStorage;
  } catch {
    return undefined; // storage disabled
  }
}

/** The locale the user chose in the settings (or with `?locale=`), if any. */
export function storedLocale(): string | undefined {
  try {
    return storage()?.getItem(LOCALE_STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Remembers the user's choice (undefined: follow the browser). Takes effect on the next load. */
export function storeLocale(locale: string | undefined): void {
  try {
    if (locale === undefined) storage()?.removeItem(LOCALE_STORAGE_KEY);
    else storage()?.setItem(LOCALE_STORAGE_KEY, locale);
  } catch {
    // not remembered
  }
}

/**
 * Chooses the locale before the first render: `?locale=<tag>` (remembered; `?locale=auto`
 * forgets), else the remembered choice, else the browser's languages, else English.
 */
export function initLocale(search: string = browser.location?.search ?? '', languages: readonly string[] = browserLanguages()): string {
  const asked = new URLSearchParams(search).get('locale');
  const fromQuery = asked === null || asked === '' || asked === 'auto' ? undefined : asked;
  if (asked !== null) storeLocale(fromQuery);
  setLocale(matchLocale([fromQuery, storedLocale(), ...languages]) ?? 'en');
  return current;
}

function browserLanguages(): readonly string[] {
  const nav = browser.navigator;
  if (nav === undefined) return [];
  return nav.languages !== undefined && nav.languages.length > 0 ? nav.languages : [nav.language ?? ''];
}

const PSEUDO_MAP: Readonly<Record<string, string>> = {
  a: 'å', b: 'ƀ', c: 'ç', d: 'ð', e: 'é', f: 'ƒ', g: 'ğ', h: 'ĥ', i: 'î', j: 'ĵ', k: 'ķ', l: 'ļ', m: 'ḿ',
  n: 'ñ', o: 'ö', p: 'þ', q: 'ǫ', r: 'ŕ', s: 'š', t: 'ţ', u: 'û', v: 'ṽ', w: 'ŵ', x: 'ẋ', y: 'ý', z: 'ž',
  A: 'Å', B: 'Ɓ', C: 'Ç', D: 'Ð', E: 'É', F: 'Ƒ', G: 'Ğ', H: 'Ĥ', I: 'Î', J: 'Ĵ', K: 'Ķ', L: 'Ļ', M: 'Ṁ',
  N: 'Ñ', O: 'Ö', P: 'Þ', Q: 'Ǫ', R: 'Ŕ', S: 'Ŝ', T: 'Ţ', U: 'Û', V: 'Ṽ', W: 'Ŵ', X: 'Ẋ', Y: 'Ý', Z: 'Ž',
};

/** Accents every ASCII letter outside `{placeholders}` and brackets the whole: "Hi {name}" → "[Ĥî {name}]". */
export function pseudoLocalize(text: string): string {
  const parts = text.split(/(\{[A-Za-z0-9_]+\})/);
  return `[${parts.map((p) => (/^\{[A-Za-z0-9_]+\}$/.test(p) ? p : p.replace(/[A-Za-z]/g, (c) => PSEUDO_MAP[c] ?? c))).join('')}]`;
}

function pick(message: Message, count: number | undefined): string {
  if (typeof message === 'string') return message;
  const n = count ?? 0;
  if (n === 0 && message.zero !== undefined) return message.zero;
  return message[pluralRules.select(n)] ?? message.other;
}

function fill(template: string, params: Readonly<Record<string, string | number>> | undefined): string {
  if (params === undefined) return template;
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
    const v = params[name];
    if (v === undefined) return whole;
    return typeof v === 'number' ? numberFormat.format(v) : v;
  });
}

/** The raw message for a key in the current locale, English when the locale lacks it. */
function lookup(key: MessageKey): Message {
  return messages[key] ?? en[key];
}

/** The message `key` in the current locale, with its placeholders filled in. */
export function t<K extends MessageKey>(key: K, ...args: ParamsArg<K>): string {
  const params = args[0] as Readonly<Record<string, string | number>> | undefined;
  let template = pick(lookup(key), typeof params?.count === 'number' ? params.count : undefined);
  if (current === PSEUDO_LOCALE) template = pseudoLocalize(template);
  return fill(template, params);
}

/**
 * A message as parts, placeholders replaced by any values (React elements, say): for a message
 * with a link or <strong> inside. Strings among the values are put in as they are.
 */
export function tParts<K extends MessageKey, V>(key: K, values: { readonly [P in keyof ParamsOf<K>]: V | string | number }): (string | V)[] {
  const v = values as unknown as Readonly<Record<string, V | string | number>>;
  let template = pick(lookup(key), typeof v.count === 'number' ? v.count : undefined);
  if (current === PSEUDO_LOCALE) template = pseudoLocalize(template);
  const out: (string | V)[] = [];
  for (const part of template.split(/(\{[A-Za-z0-9_]+\})/)) {
    if (part === '') continue;
    const m = /^\{([A-Za-z0-9_]+)\}$/.exec(part);
    const value = m !== null ? v[m[1]!] : undefined;
    if (value === undefined) out.push(part);
    else out.push(typeof value === 'number' ? numberFormat.format(value) : value);
  }
  return out;
}

/** A number as the locale writes it. */
export function formatNumber(n: number, options?: Intl.NumberFormatOptions): string {
  return options === undefined ? numberFormat.format(n) : new Intl.NumberFormat(intlLocale(), options).format(n);
}

/** A date or time with Intl in the current locale (pseudo-localised in the pseudo-locale). */
export function formatDate(ms: number | Date, options: Intl.DateTimeFormatOptions): string {
  const text = new Intl.DateTimeFormat(intlLocale(), options).format(ms);
  return current === PSEUDO_LOCALE ? pseudoLocalize(text) : text;
}

/** A language's name in that language ("English"), for the settings. */
export function localeName(locale: string): string {
  if (locale === PSEUDO_LOCALE) return t('settings.language.pseudo');
  try {
    return new Intl.DisplayNames([locale], { type: 'language' }).of(locale) ?? locale;
  } catch {
    return locale;
  }
}
