/**
 * Light or dark: the system's choice (prefers-color-scheme) unless the user picked one in the
 * settings, kept in this browser (localStorage: a display preference, not a secret). The choice
 * is applied as `data-theme` on <html>; the colours are CSS variables (styles.css, screens.css).
 */
export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'rustchat.theme';
const listeners = new Set<() => void>();
let media: MediaQueryList | undefined;

export function storedTheme(): ThemeChoice {
  try {
    const v = window.localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

/** The theme shown for a choice: the system's for 'system'. */
export function effectiveTheme(choice: ThemeChoice): 'light' | 'dark' {
  if (choice !== 'system') return choice;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(choice: ThemeChoice = storedTheme()): void {
  document.documentElement.dataset.theme = effectiveTheme(choice);
  if (media === undefined && typeof window.matchMedia === 'function') {
    media = window.matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', () => applyTheme());
  }
  for (const fn of listeners) fn();
}

export function setTheme(choice: ThemeChoice): void {
  try {
    if (choice === 'system') window.localStorage.removeItem(KEY);
    else window.localStorage.setItem(KEY, choice);
  } catch {
    // this page only
  }
  applyTheme(choice);
}
