/** emojibase-data's JSON (its own typings need the `emojibase` package, which the client does not use). */
declare module 'emojibase-data/en/compact.json' {
  const data: unknown;
  export default data;
}
declare module 'emojibase-data/en/shortcodes/*.json' {
  const data: unknown;
  export default data;
}
