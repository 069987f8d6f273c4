import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import {
  excerpt,
  hashtags,
  matchRanges,
  normalize,
  parseSearchQuery,
  searchDocument,
  stem,
  tokenize,
  type ParsedSearch,
  type SearchClause,
  type SearchColumn,
} from '../../src/domain/search.js';

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);

const EMPTY: ParsedSearch = {
  clauses: [],
  from: [],
  inChannels: [],
  inUsers: [],
  createdFrom: undefined,
  createdBefore: undefined,
  isPinned: false,
  hasFile: false,
  hasImage: false,
};

const c = (column: SearchColumn, tokens: string[], opts: { prefix?: boolean; negated?: boolean } = {}): SearchClause => ({
  column,
  atom: { tokens, prefix: opts.prefix ?? false },
  negated: opts.negated ?? false,
});
const st = (token: string, negated = false): SearchClause => c('stems', [token], { negated });
const q = (over: Partial<ParsedSearch>): ParsedSearch => ({ ...EMPTY, ...over });

function badRequestOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(400);
    return err as AppError;
  }
  throw new Error('expected a 400');
}

describe('normalize', () => {
  it.each([
    ['Café', 'cafe'],
    ['cafe\u0301', 'cafe'],
    ['ÉCOLE', 'ecole'],
    ['Straße', 'strasse'],
    ['STRAẞE', 'strasse'],
    ['ﬁle', 'file'],
    ['ＡＢＣ１２３', 'abc123'],
    ['ΟΔΟΣ', 'οδοσ'],
    ['οδος', 'οδοσ'],
    ['İstanbul', 'istanbul'],
    ['soft\u00ADhyphen', 'softhyphen'],
    ['Ångström', 'angstrom'],
  ])('%j → %j', (input, output) => {
    expect(normalize(input)).toBe(output);
  });
});

describe('tokenize', () => {
  const spans = (text: string) => tokenize(text).map(({ token, start, end }) => [token, text.slice(start, end)]);

  it('splits on everything but letters and digits, offsets into the original text', () => {
    expect(tokenize('Deploy deploy_prod, user@example.com v1.2!')).toEqual([
      { token: 'deploy', start: 0, end: 6 },
      { token: 'deploy', start: 7, end: 13 },
      { token: 'prod', start: 14, end: 18 },
      { token: 'user', start: 20, end: 24 },
      { token: 'example', start: 25, end: 32 },
      { token: 'com', start: 33, end: 36 },
      { token: 'v1', start: 37, end: 39 },
      { token: '2', start: 40, end: 41 },
    ]);
  });

  it('keeps offsets exact around emoji, combining marks, NFKC-changing characters and CJK', () => {
    expect(spans('👍🏽 ok 👨‍👩‍👧 fine')).toEqual([
      ['ok', 'ok'],
      ['fine', 'fine'],
    ]);
    expect(spans('un cafe\u0301 noir')).toEqual([
      ['un', 'un'],
      ['cafe', 'cafe\u0301'],
      ['noir', 'noir'],
    ]);
    expect(spans('the ﬁle ＡＢＣ done')).toEqual([
      ['the', 'the'],
      ['file', 'ﬁle'],
      ['abc', 'ＡＢＣ'],
      ['done', 'done'],
    ]);
    expect(spans('東京に行く、서울 😀 ok')).toEqual([
      ['東京に行く', '東京に行く'],
      ['서울', '서울'],
      ['ok', 'ok'],
    ]);
    // Conjoining jamo compose into the syllable, and the token spans them all.
    expect(spans('x \u1100\u1161\u11A8 y')).toEqual([
      ['x', 'x'],
      ['각', '\u1100\u1161\u11A8'],
      ['y', 'y'],
    ]);
    // ½ becomes 1⁄2: two tokens, both from the one original character.
    expect(spans('a½b')).toEqual([
      ['a1', 'a½'],
      ['2b', '½b'],
    ]);
    expect(spans('𝐁𝐨𝐥𝐝 text')).toEqual([
      ['bold', '𝐁𝐨𝐥𝐝'],
      ['text', 'text'],
    ]);
  });

  it('cuts tokens longer than 64 characters, the range still covering the whole word', () => {
    const long = 'a'.repeat(100);
    expect(tokenize(`x ${long} y`)).toEqual([
      { token: 'x', start: 0, end: 1 },
      { token: 'a'.repeat(64), start: 2, end: 102 },
      { token: 'y', start: 103, end: 104 },
    ]);
    const astral = '𝐚'.repeat(70);
    expect(tokenize(astral)).toEqual([{ token: 'a'.repeat(64), start: 0, end: 140 }]);
  });
});

describe('stem', () => {
  it('stems lower-case ASCII words of 3+ letters only', () => {
    expect(stem('deploying')).toBe(stem('deployed'));
    expect(stem('deploying')).toBe('deploi');
    expect(stem('iphone15')).toBe('iphone15');
    expect(stem('as')).toBe('as');
    expect(stem('cafés')).toBe('cafés');
    expect(stem('東京')).toBe('東京');
  });
});

describe('hashtags', () => {
  it.each([
    ['ship #Release-1.2 now', ['release12']],
    ['#one #two #One', ['one', 'two']],
    ['end of sentence #done.', ['done']],
    ['#Café and #cafe', ['cafe']],
    ['under #snake_case', ['snakecase']],
    ['not a tag: # heading, #123, a#b, &#39;, /#top, ##x', []],
    ['(#paren) "#quoted"', ['paren', 'quoted']],
  ])('%j → %j', (text, tags) => {
    expect(hashtags(text)).toEqual(tags);
  });
});

describe('searchDocument', () => {
  it('gives words, stems with the same positions, and tags', () => {
    expect(searchDocument('Deploying deploy_prod to #Prod-EU, Café iPhone15 😀')).toEqual({
      words: 'deploying deploy prod to prod eu cafe iphone15',
      stems: 'deploi deploi prod to prod eu cafe iphone15',
      tags: 'prodeu',
    });
  });

  it('keeps positions aligned for every token', () => {
    const doc = searchDocument('The runners were running; ﬁles ＡＢＣ 東京 rüns');
    expect(doc.stems.split(' ')).toHaveLength(doc.words.split(' ').length);
    expect(doc.words).toBe('the runners were running files abc 東京 runs');
  });

  it('caps the document at 10,000 tokens', () => {
    const doc = searchDocument('word '.repeat(12_000));
    expect(doc.words.split(' ')).toHaveLength(10_000);
    expect(doc.stems.split(' ')).toHaveLength(10_000);
    expect(searchDocument('').words).toBe('');
  });
});

describe('parseSearchQuery', () => {
  it.each<[string, ParsedSearch]>([
    ['deploy', q({ clauses: [st('deploi')] })],
    ['Deploying   FAILED', q({ clauses: [st('deploi'), st('fail')] })],
    ['Café', q({ clauses: [st('cafe')] })],
    ['cafe\u0301', q({ clauses: [st('cafe')] })],
    ['deploy_prod', q({ clauses: [c('words', ['deploy', 'prod'])] })],
    ['user@example.com', q({ clauses: [c('words', ['user', 'example', 'com'])] })],
    ['v1.2', q({ clauses: [c('words', ['v1', '2'])] })],
    ['iPhone15', q({ clauses: [st('iphone15')] })],
    ['"deploying to prod"', q({ clauses: [c('words', ['deploying', 'to', 'prod'])] })],
    ['"deploying"', q({ clauses: [c('words', ['deploying'])] })],
    ['“smart quotes” here', q({ clauses: [c('words', ['smart', 'quotes']), st('here')] })],
    ['deploy "unbalanced phrase here', q({ clauses: [st('deploi'), c('words', ['unbalanced', 'phrase', 'here'])] })],
    ['deploy -staging', q({ clauses: [st('deploi'), st('stage', true)] })],
    ['deploy -"dry run"', q({ clauses: [st('deploi'), c('words', ['dry', 'run'], { negated: true })] })],
    ['deploy -deploy_prod', q({ clauses: [st('deploi'), c('words', ['deploy', 'prod'], { negated: true })] })],
    ['deploy*', q({ clauses: [c('words', ['deploy'], { prefix: true })] })],
    ['Deploy_pr*', q({ clauses: [c('words', ['deploy', 'pr'], { prefix: true })] })],
    ['"deploy pr"*', q({ clauses: [c('words', ['deploy', 'pr'], { prefix: true })] })],
    ['deploy -stag*', q({ clauses: [st('deploi'), c('words', ['stag'], { prefix: true, negated: true })] })],
    ['deploy * ** .*', q({ clauses: [st('deploi')] })],
    ['#Release-1.2', q({ clauses: [c('tags', ['release12'])] })],
    ['deploy -#wip', q({ clauses: [st('deploi'), c('tags', ['wip'], { negated: true })] })],
    ['#123', q({ clauses: [st('123')] })],
    ['foo:bar', q({ clauses: [c('words', ['foo', 'bar'])] })],
    ['https://example.com/x', q({ clauses: [c('words', ['https', 'example', 'com', 'x'])] })],
    ['NEAR(a b) AND OR NOT', q({ clauses: [c('words', ['near', 'a']), st('b'), st('and'), st('or'), st('not')] })],
    ['deploy ... --- !!', q({ clauses: [st('deploi')] })],
    ['deploy deploy Deploy', q({ clauses: [st('deploi')] })],
    ['from:alice', q({ from: ['alice'] })],
    ['FROM:@Alice from:bob.smith from:alice', q({ from: ['alice', 'bob.smith'] })],
    ['from:"alice"', q({ from: ['alice'] })],
    ['in:town-square', q({ inChannels: ['town-square'] })],
    ['in:~Town-Square in:@Bob', q({ inChannels: ['town-square'], inUsers: ['bob'] })],
    ['after:2026-01-15', q({ createdFrom: day('2026-01-16') })],
    ['before:2026-01-15', q({ createdBefore: day('2026-01-15') })],
    ['on:2026-01-15', q({ createdFrom: day('2026-01-15'), createdBefore: day('2026-01-16') })],
    ['on:2026-1-5', q({ createdFrom: day('2026-01-05'), createdBefore: day('2026-01-06') })],
    ['on:2026-01-15 after:2026-01-10', q({ createdFrom: day('2026-01-15'), createdBefore: day('2026-01-16') })],
    ['after:2026-01-15 on:2026-01-15', q({ createdFrom: day('2026-01-16'), createdBefore: day('2026-01-16') })],
    ['after:2026-01-01 after:2026-02-01 before:2026-03-01 before:2026-04-01', q({ createdFrom: day('2026-02-02'), createdBefore: day('2026-03-01') })],
    ['on:2024-02-29', q({ createdFrom: day('2024-02-29'), createdBefore: day('2024-03-01') })],
    // Years below 100 are not read as 19xx.
    ['on:0050-06-01', q({ createdFrom: day('0050-06-01'), createdBefore: day('0050-06-02') })],
    ['is:pinned', q({ isPinned: true })],
    ['IS:Pinned has:file has:IMAGE', q({ isPinned: true, hasFile: true, hasImage: true })],
    ['-secret from:alice', q({ clauses: [st('secret', true)], from: ['alice'] })],
    [
      'from:alice in:~dev "build failed" -flaky deploy* #ci after:2026-01-01 has:file',
      q({
        clauses: [c('words', ['build', 'failed']), st('flaki', true), c('words', ['deploy'], { prefix: true }), c('tags', ['ci'])],
        from: ['alice'],
        inChannels: ['dev'],
        createdFrom: day('2026-01-02'),
        hasFile: true,
      }),
    ],
  ])('%j', (input, expected) => {
    expect(parseSearchQuery(input)).toEqual(expected);
  });

  it('cuts words longer than 64 characters as the index does', () => {
    const long = 'x'.repeat(100);
    expect(parseSearchQuery(long)).toEqual(q({ clauses: [st('x'.repeat(64))] }));
    expect(parseSearchQuery(`"${long} y"`)).toEqual(q({ clauses: [c('words', ['x'.repeat(64), 'y'])] }));
  });

  it.each<[string, string]>([
    ['', 'Search query is empty'],
    ['   \t\n ', 'Search query is empty'],
    ['... !!! --', 'Nothing to search for'],
    ['""', 'Nothing to search for'],
    ['*', 'Nothing to search for'],
    // A Hangul filler is a letter that normalization removes: the tag has no token.
    ['#\u3164', 'Nothing to search for'],
    ['-deploy', 'Add a word or an operator besides the excluded words'],
    ['-deploy -"dry run" -#wip', 'Add a word or an operator besides the excluded words'],
    ['a*', 'A prefix search needs at least 2 characters before the *'],
    ['deploy_p*', 'A prefix search needs at least 2 characters before the *'],
    ['from:', 'from: needs a value'],
    ['in:""', 'in: needs a value'],
    ['before:', 'before: needs a value'],
    ['from:@', 'from: expects a username like @alice'],
    ['from:al!ce', 'from: expects a username like @alice'],
    [`from:${'a'.repeat(65)}`, 'from: expects a username like @alice'],
    ['in:~', 'in: expects a channel name like ~town-square or a username like @alice'],
    ['in:my/channel', 'in: expects a channel name like ~town-square or a username like @alice'],
    ['before:2026-13-01', 'before: expects a date like 2026-12-31'],
    ['after:yesterday', 'after: expects a date like 2026-12-31'],
    ['on:2026-02-30', 'on: expects a date like 2026-12-31'],
    ['on:2025-02-29', 'on: expects a date like 2026-12-31'],
    ['on:26-01-01', 'on: expects a date like 2026-12-31'],
    ['is:archived', 'is: accepts only is:pinned'],
    ['has:link', 'has: accepts has:file or has:image'],
    ['-from:alice', 'from: cannot be excluded with -'],
    ['x'.repeat(2001), 'Search query is too long (at most 2,000 characters)'],
    [Array.from({ length: 257 }, (_, i) => `w${i}`).join(' '), 'Search query has too many terms (at most 256 words, phrases and operators)'],
    [Array.from({ length: 257 }, () => 'in:a').join(' '), 'Search query has too many terms (at most 256 words, phrases and operators)'],
  ])('refuses %j: %s', (input, message) => {
    expect(badRequestOf(() => parseSearchQuery(input)).message).toBe(message);
  });

  it('accepts 2,000 characters and 256 terms', () => {
    expect(parseSearchQuery('x'.repeat(2000)).clauses).toHaveLength(1);
    const terms = Array.from({ length: 255 }, (_, i) => `w${i}`).join(' ') + ' from:alice';
    expect(parseSearchQuery(terms).clauses).toHaveLength(255);
  });

  it('finds what the document indexed, through folding and stemming', () => {
    const doc = searchDocument('Le Café est ouvert; deployed to DEPLOY_PROD by user@example.com');
    const words = doc.words.split(' ');
    const stems = doc.stems.split(' ');
    const contains = (values: string[], tokens: readonly string[]) =>
      values.some((_, i) => tokens.every((t, k) => values[i + k] === t));
    for (const query of ['cafe', 'CAFÉ', 'deploying', '"deploy prod"', 'deploy_prod', 'USER@example.COM']) {
      for (const clause of parseSearchQuery(query).clauses) {
        expect(contains(clause.column === 'stems' ? stems : words, clause.atom.tokens), query).toBe(true);
      }
    }
  });
});

describe('matchRanges', () => {
  const marked = (message: string, query: string): string => {
    let out = '';
    let at = 0;
    for (const [s, e] of matchRanges(message, parseSearchQuery(query))) {
      out += `${message.slice(at, s)}[${message.slice(s, e)}]`;
      at = e;
    }
    return out + message.slice(at);
  };

  it.each([
    ['We deployed it, now deploying again', 'deploy', 'We [deployed] it, now [deploying] again'],
    ['Le Café, le cafe\u0301', 'cafe', 'Le [Café], le [cafe\u0301]'],
    ['push to deploy_prod and deploy-prod', 'deploy_prod', 'push to [deploy_prod] and [deploy-prod]'],
    ['deploy prod, prod deploy', '"deploy prod"', '[deploy prod], prod deploy'],
    ['deployment deploys redeploy', 'deploy*', '[deployment] [deploys] redeploy'],
    ['ship #Release-1.2. #release12 #other', '#release-1.2', 'ship [#Release-1.2]. [#release12] #other'],
    ['secret deploy', 'deploy -secret', 'secret [deploy]'],
    ['the ﬁle ＡＢＣ', 'file abc', 'the [ﬁle] [ＡＢＣ]'],
    ['alpha beta gamma', 'gamma alpha', '[alpha] beta [gamma]'],
    ['nothing here', 'from:alice', 'nothing here'],
    ['😀 東京 😀', '東京', '😀 [東京] 😀'],
  ])('%j for %j', (message, query, expected) => {
    expect(marked(message, query)).toBe(expected);
  });

  it('merges overlapping ranges', () => {
    expect(matchRanges('deploy prod now', parseSearchQuery('"deploy prod" "prod now"'))).toEqual([[0, 15]]);
  });
});

describe('excerpt', () => {
  it('returns a short message whole', () => {
    expect(excerpt('hello world', [[6, 11]])).toEqual({ text: 'hello world', highlights: [[6, 11]], truncated_start: false, truncated_end: false });
  });

  it('centres a window on the first match, cutting at spaces', () => {
    const message = `${'lorem ipsum '.repeat(30)}TARGET ${'dolor sit '.repeat(30)}`;
    const at = message.indexOf('TARGET');
    const out = excerpt(message, [[at, at + 6]], 60);
    expect(out.truncated_start).toBe(true);
    expect(out.truncated_end).toBe(true);
    expect(out.text.length).toBeLessThanOrEqual(60);
    expect(out.highlights).toHaveLength(1);
    const [[s, e]] = out.highlights as [[number, number]];
    expect(out.text.slice(s, e)).toBe('TARGET');
    expect(out.text.startsWith(' ')).toBe(false);
    expect(out.text.endsWith(' ')).toBe(false);
  });

  it('starts at the beginning when nothing matched', () => {
    const message = 'word '.repeat(100);
    const out = excerpt(message, [], 50);
    expect(out.text).toBe(message.slice(0, out.text.length));
    expect(out).toMatchObject({ highlights: [], truncated_start: false, truncated_end: true });
  });

  it('keeps the highlights inside the window, re-based', () => {
    const message = `aaa ${'x'.repeat(300)} bbb`;
    const out = excerpt(message, [[0, 3], [message.length - 3, message.length]], 40);
    expect(out.highlights).toEqual([[0, 3]]);
    expect(out.truncated_end).toBe(true);
    const end = excerpt(message, [[message.length - 3, message.length]], 40);
    expect(end.truncated_end).toBe(false);
    expect(end.text.endsWith('bbb')).toBe(true);
    expect(end.text.slice(...end.highlights[0]!)).toBe('bbb');
  });

  it('never splits a surrogate pair', () => {
    const message = '😀'.repeat(200);
    for (const width of [1, 2, 3, 50, 51]) {
      for (const at of [0, 2, 101, 200, 398]) {
        const out = excerpt(message, [[at, at + 2]], width);
        expect(out.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      }
    }
  });
});

describe('fuzz', () => {
  const TOKEN_RE = /^[\p{L}\p{N}]{1,64}$/u;
  const NAME_RE = /^[a-z0-9._-]{1,64}$/;

  const pieces = fc.oneof(
    fc.constantFrom(
      'from:', 'in:', 'before:', 'after:', 'on:', 'is:', 'has:', 'FROM:@', 'in:~', 'in:@', 'foo:', ':',
      '"', '“', '”', '-', '--', '*', '#', '@', '~', ' ', '  ', '\t', '\n', 'NEAR(', ')', 'AND', 'OR', 'NOT',
      '^', '{', '}', '(', "'", 'pinned', 'file', 'image', '2026-01-15', '2026-13-01', '0000-00-00',
      'deploy', 'Café', 'ﬁ', 'ß', 'ＡＢ', '東京', '😀', '\u0301', '\u00AD', '½', 'x'.repeat(70), '\uD800', '\uDC00', '\u3164', '#\u3164',
    ),
    fc.string({ maxLength: 6 }),
    fc.string({ unit: 'grapheme', maxLength: 4 }),
  );
  const queries = fc.oneof(
    fc.array(pieces, { maxLength: 20 }).map((parts) => parts.join('')),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
  );

  it('parseSearchQuery returns plain tokens or a 400, nothing else', () => {
    fc.assert(
      fc.property(queries, (input) => {
        let parsed: ParsedSearch;
        try {
          parsed = parseSearchQuery(input);
        } catch (err) {
          return err instanceof AppError && err.status === 400;
        }
        for (const clause of parsed.clauses) {
          expect(clause.atom.tokens.length).toBeGreaterThan(0);
          for (const token of clause.atom.tokens) expect(token).toMatch(TOKEN_RE);
        }
        for (const name of [...parsed.from, ...parsed.inChannels, ...parsed.inUsers]) expect(name).toMatch(NAME_RE);
        expect(parsed.clauses.length > 0 || parsed.from.length + parsed.inChannels.length + parsed.inUsers.length > 0 || parsed.createdFrom !== undefined || parsed.createdBefore !== undefined || parsed.isPinned || parsed.hasFile || parsed.hasImage).toBe(true);
        return true;
      }),
      { numRuns: 3000 },
    );
  });

  const texts = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.array(pieces, { maxLength: 20 }).map((parts) => parts.join('')),
  );

  it('tokenize gives ordered, non-empty ranges inside the text, of plain tokens that re-tokenize to themselves', () => {
    fc.assert(
      fc.property(texts, (text) => {
        // Ranges may share a character that normalizes to several tokens (½ → 1⁄2), never go back.
        let previousStart = 0;
        for (const { token, start, end } of tokenize(text)) {
          expect(start).toBeGreaterThanOrEqual(previousStart);
          expect(start).toBeLessThan(end);
          expect(end).toBeLessThanOrEqual(text.length);
          expect(token).toMatch(TOKEN_RE);
          expect(tokenize(token).map((t) => t.token)).toEqual([token]);
          previousStart = start;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('searchDocument keeps words and stems aligned; matchRanges and excerpt stay inside the text', () => {
    fc.assert(
      fc.property(texts, queries, (text, query) => {
        const doc = searchDocument(text);
        expect(doc.stems.split(' ')).toHaveLength(doc.words.split(' ').length);
        let parsed: ParsedSearch;
        try {
          parsed = parseSearchQuery(query);
        } catch {
          return;
        }
        const ranges = matchRanges(text, parsed);
        for (const [s, e] of ranges) {
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThan(e);
          expect(e).toBeLessThanOrEqual(text.length);
        }
        const out = excerpt(text, ranges, 20);
        for (const [s, e] of out.highlights) {
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThan(e);
          expect(e).toBeLessThanOrEqual(out.text.length);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
