/** Reaction names (as the server stores them) and the characters shown for them. */
export const EMOJI: Readonly<Record<string, string>> = {
  '+1': '👍',
  thumbsup: '👍',
  '-1': '👎',
  thumbsdown: '👎',
  heart: '❤️',
  smile: '😄',
  laughing: '😆',
  joy: '😂',
  tada: '🎉',
  eyes: '👀',
  rocket: '🚀',
  white_check_mark: '✅',
  pray: '🙏',
  fire: '🔥',
  thinking: '🤔',
  wave: '👋',
};

/** The quick-pick reactions offered under a message. */
export const QUICK_REACTIONS = ['+1', 'heart', 'smile', 'tada', 'eyes', 'rocket', 'white_check_mark', 'pray'] as const;

export function emojiChar(name: string): string {
  return EMOJI[name] ?? `:${name}:`;
}
