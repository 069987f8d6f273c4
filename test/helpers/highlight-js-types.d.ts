/**
 * A stand-in for highlight.js's types in the server program (tsconfig.json `paths`).
 * highlight.js's own declarations start with `/// <reference lib="dom" />`, which would turn on
 * the DOM library for every server file and retype Node's fetch and Headers. Tests that import
 * the web client's Markdown renderer (web/src/lib/markdown.ts, which uses lowlight, itself
 * typed against highlight.js) only need this one type; web/tsconfig.json checks the client
 * against the real declarations.
 */
export type LanguageFn = (hljs?: unknown) => unknown;
