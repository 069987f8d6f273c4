/** The web client's translation layer (web/src/i18n): lookup, placeholders, plurals, fallback, pseudo-locale. */
import { afterEach, describe, expect, it } from 'vitest';
import { en } from '../../web/src/i18n/en.js';
import {
  LOCALE_STORAGE_KEY, PSEUDO_LOCALE, currentLocale, defineLocale, formatDate, formatNumber, initLocale, matchLocale, pseudoLocalize, setLocale, storeLocale, t, tParts, type MessageKey,
} from '../../web/src/i18n/index.js';
import { formatDay } from '../../web/src/lib/format.js';
import { formatSize } from '../../web/src/lib/files.js';

// A partial second language: what it lacks falls back to English.
defineLocale('de', {
  'common.cancel': 'Abbrechen',
  'workspace.welcome': 'Willkommen, {name}',
  'common.mentions': { one: '{count} Erwähnung', other: '{count} Erwähnungen' },
});
defineLocale('pl', {
  'post.replies': { one: '{count} odpowiedź', few: '{count} odpowiedzi', many: '{count} odpowiedzi', other: '{count} odpowiedzi' },
});

const PLACEHOLDER = /\{[A-Za-z0-9_]+\}/g;

afterEach(() => setLocale('en'));

describe('t()', () => {
  it('looks messages up in English by default and fills in placeholders', () => {
    expect(currentLocale()).toBe('en');
    expect(t('common.cancel')).toBe('Cancel');
    expect(t('workspace.welcome', { name: 'Alice' })).toBe('Welcome, Alice');
    expect(t('auth.signInWith', { provider: 'Keycloak' })).toBe('Sign in with Keycloak');
    // Values go in as they are: a value that looks like a placeholder is not filled again.
    expect(t('workspace.welcome', { name: '{name} <b>' })).toBe('Welcome, {name} <b>');
  });

  it('chooses plural forms with Intl.PluralRules and formats the count', () => {
    expect(t('post.replies', { count: 1 })).toBe('1 reply');
    expect(t('post.replies', { count: 2 })).toBe('2 replies');
    expect(t('post.replies', { count: 0 })).toBe('0 replies');
    expect(t('post.replies', { count: 1234 })).toBe('1,234 replies');
    // An explicit zero form wins for 0.
    expect(t('search.results', { count: 0 })).toBe('No results');
    expect(t('search.results', { count: 1 })).toBe('1 result');
    expect(t('composer.tooManyFiles', { max: 10, count: 3 })).toBe('A message can carry at most 10 files: 3 were not attached.');
    setLocale('pl');
    expect(t('post.replies', { count: 1 })).toBe('1 odpowiedź');
    expect(t('post.replies', { count: 3 })).toBe('3 odpowiedzi');
    expect(t('post.replies', { count: 5 })).toBe('5 odpowiedzi');
  });

  it('falls back to English, key by key, for what a locale lacks', () => {
    setLocale('de');
    expect(currentLocale()).toBe('de');
    expect(t('common.cancel')).toBe('Abbrechen');
    expect(t('workspace.welcome', { name: 'Alice' })).toBe('Willkommen, Alice');
    expect(t('common.mentions', { count: 2 })).toBe('2 Erwähnungen');
    expect(t('common.save')).toBe('Save');
    expect(t('post.replies', { count: 2 })).toBe('2 replies');
    // Numbers in the locale's own way.
    expect(formatNumber(1234.5)).toBe('1.234,5');
  });

  it('makes an unknown key or a missing parameter a compile error', () => {
    const typeChecked = () => {
      // @ts-expect-error: no such key
      t('common.no-such-key');
      // @ts-expect-error: the placeholder {name} needs a value
      t('workspace.welcome');
      // @ts-expect-error: a plural message needs its count
      t('post.replies', {});
      // @ts-expect-error: a message without placeholders takes none
      t('common.cancel', { name: 'x' });
    };
    expect(typeof typeChecked).toBe('function');
  });

  it('gives messages with elements inside as parts', () => {
    const strong = { tag: 'strong' };
    expect(tParts('channel.beginning', { channel: strong })).toEqual(['This is the very beginning of ', strong, '.']);
    expect(tParts('auth.newHere', { action: strong })).toEqual(['New here? ', strong]);
  });

  it('has placeholders that are plain names, and plural messages with an `other` form', () => {
    for (const [key, message] of Object.entries(en)) {
      const forms = typeof message === 'string' ? [message] : Object.values(message);
      for (const form of forms) {
        expect(form.replace(PLACEHOLDER, ''), key).not.toMatch(/[{}]/);
      }
      if (typeof message !== 'string') expect(message.other, key).toBeTypeOf('string');
    }
  });
});

describe('choosing the locale', () => {
  it('matches an exact tag, then the language, else nothing (English)', () => {
    expect(matchLocale(['de-AT'])).toBe('de');
    expect(matchLocale(['fr-FR', 'en-GB'])).toBe('en');
    expect(matchLocale(['fr'])).toBeUndefined();
    expect(matchLocale([PSEUDO_LOCALE])).toBe(PSEUDO_LOCALE);
    expect(matchLocale(['QPS-PLOC'])).toBe(PSEUDO_LOCALE);
    // The pseudo-locale is never reached by its language part.
    expect(matchLocale(['qps'])).toBeUndefined();
  });

  it('takes ?locale= first, then the browser languages, and falls back to English', () => {
    expect(initLocale('', ['fr-FR', 'de-CH'])).toBe('de');
    expect(initLocale('', ['fr-FR'])).toBe('en');
    expect(initLocale('?locale=qps-ploc', ['de'])).toBe(PSEUDO_LOCALE);
    expect(initLocale('?locale=xx', ['de'])).toBe('de');
    expect(initLocale('', [])).toBe('en');
  });

  it('remembers a choice (settings or ?locale=) in localStorage until ?locale=auto', () => {
    const kept = new Map<string, string>();
    const store = { getItem: (k: string) => kept.get(k) ?? null, setItem: (k: string, v: string) => void kept.set(k, v), removeItem: (k: string) => void kept.delete(k) };
    Object.defineProperty(globalThis, 'localStorage', { value: store, configurable: true });
    try {
      storeLocale('de');
      expect(initLocale('', ['en-US'])).toBe('de');
      expect(initLocale('?locale=qps-ploc', ['en-US'])).toBe(PSEUDO_LOCALE);
      expect(kept.get(LOCALE_STORAGE_KEY)).toBe(PSEUDO_LOCALE);
      expect(initLocale('', ['en-US'])).toBe(PSEUDO_LOCALE);
      expect(initLocale('?locale=auto', ['de-DE'])).toBe('de');
      expect(kept.has(LOCALE_STORAGE_KEY)).toBe(false);
      expect(initLocale('', ['en-US'])).toBe('en');
    } finally {
      delete (globalThis as { localStorage?: unknown }).localStorage;
    }
  });

  it('formats dates with Intl in the locale', () => {
    const day = new Date(2026, 2, 3, 14, 5).getTime();
    expect(formatDay(day, new Date(2026, 2, 3, 20, 0).getTime())).toBe('Today');
    expect(formatDay(day, new Date(2026, 2, 4, 9, 0).getTime())).toBe('Yesterday');
    expect(formatDay(day, new Date(2026, 5, 1).getTime())).toBe('Tuesday, March 3, 2026');
    setLocale('de');
    expect(formatDay(day, new Date(2026, 5, 1).getTime())).toBe('Dienstag, 3. März 2026');
    expect(formatDate(day, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })).toBe('14:05');
  });
});

describe('the pseudo-locale', () => {
  it('accents letters and brackets the message, keeping placeholders intact', () => {
    expect(pseudoLocalize('Send message')).toBe('[Ŝéñð ḿéššåğé]');
    expect(pseudoLocalize('Welcome, {name}!')).toBe('[Ŵéļçöḿé, {name}!]');
    expect(pseudoLocalize('{count} replies in {channel_name}')).toBe('[{count} ŕéþļîéš îñ {channel_name}]');
  });

  it('keeps every placeholder of every English message, and leaves no ASCII letter outside them', () => {
    for (const [key, message] of Object.entries(en)) {
      for (const form of typeof message === 'string' ? [message] : Object.values(message)) {
        const pseudo = pseudoLocalize(form);
        expect(pseudo.match(PLACEHOLDER) ?? [], key).toEqual(form.match(PLACEHOLDER) ?? []);
        expect(pseudo.replace(PLACEHOLDER, ''), key).not.toMatch(/[A-Za-z]/);
      }
    }
  });

  it('is what t() says in the pseudo-locale, with the values (user content) left alone', () => {
    setLocale(PSEUDO_LOCALE);
    expect(t('composer.send')).toBe('[Ŝéñð]');
    expect(t('workspace.welcome', { name: 'Alice' })).toBe('[Ŵéļçöḿé, Alice]');
    expect(t('post.replies', { count: 2 })).toBe('[2 ŕéþļîéš]');
    expect(formatDay(new Date(2026, 2, 3).getTime(), new Date(2026, 5, 1).getTime())).toBe('[Ţûéšðåý, Ṁåŕçĥ 3, 2026]');
    expect(formatSize(2048)).toBe('[2 ĶƁ]');
    const keys = Object.keys(en) as MessageKey[];
    expect(keys.length).toBeGreaterThan(300);
  });
});
