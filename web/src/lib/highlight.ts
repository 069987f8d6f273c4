/**
 * Syntax highlighting for message code blocks: lowlight (highlight.js's grammars, output as a
 * tree, never HTML) with highlight.js's common languages — TypeScript, JavaScript, Python, Go,
 * Rust, Java, Kotlin, Swift, C, C++, C#, PHP, Ruby, SQL, Bash, shell, JSON, YAML, XML/HTML,
 * CSS, Markdown, diff, … Imported on demand by lib/markdown.ts (its own chunk of the bundle).
 */
import { common, createLowlight } from 'lowlight';
import type { Highlighter } from './markdown.js';

const lowlight = createLowlight(common);

export const highlighter: Highlighter = {
  registered: (language) => lowlight.registered(language),
  highlight: (language, code) => lowlight.highlight(language, code),
};
