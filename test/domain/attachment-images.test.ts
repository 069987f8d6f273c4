/** Which images of a post's Slack attachments the server fetches (domain/webhooks.ts wantedImages): pure rules. */
import { describe, expect, it } from 'vitest';
import { MAX_ATTACHMENT_IMAGES, wantedImages } from '../../src/domain/webhooks.js';

describe('wantedImages', () => {
  it('takes each attachment\'s image_url then thumb_url, in order, a repeated URL fetched once but shown twice', () => {
    expect(wantedImages([
      { title: 'a', image_url: 'https://x.test/1.png', thumb_url: 'https://x.test/t.png' },
      { title: 'no image' },
      { image_url: 'https://x.test/1.png' },
    ])).toEqual([
      { index: 0, kind: 'image', url: 'https://x.test/1.png' },
      { index: 0, kind: 'thumb', url: 'https://x.test/t.png' },
      { index: 2, kind: 'image', url: 'https://x.test/1.png' },
    ]);
  });

  it('skips anything that is not an http(s) URL without credentials, and anything that is not an attachment', () => {
    expect(wantedImages([
      { image_url: 'javascript:alert(1)', thumb_url: 'data:image/png;base64,AAAA' },
      { image_url: 'https://user:pw@x.test/a.png', thumb_url: 'ftp://x.test/a.png' },
      { image_url: 42, thumb_url: ['https://x.test/a.png'] },
      null, 'https://x.test/a.png', [{ image_url: 'https://x.test/a.png' }],
      { image_url: `https://x.test/${'a'.repeat(3000)}.png` },
      { image_url: 'HTTPS://X.TEST/ok.png' },
    ])).toEqual([{ index: 7, kind: 'image', url: 'https://x.test/ok.png' }]);
    expect(wantedImages(undefined)).toEqual([]);
    expect(wantedImages({ image_url: 'https://x.test/a.png' })).toEqual([]);
  });

  it('stops at MAX_ATTACHMENT_IMAGES distinct URLs; URLs already taken still count for later attachments', () => {
    const many = Array.from({ length: 15 }, (_, i) => ({ image_url: `https://x.test/${i}.png`, thumb_url: 'https://x.test/0.png' }));
    const wanted = wantedImages(many);
    expect(new Set(wanted.map((w) => w.url)).size).toBe(MAX_ATTACHMENT_IMAGES);
    expect(wanted.filter((w) => w.kind === 'image').map((w) => w.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The shared thumbnail is on every attachment, fetched once.
    expect(wanted.filter((w) => w.kind === 'thumb').map((w) => w.index)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    // (The thumbnail is 0.png, the first image: two distinct URLs are 0.png and 1.png.)
    expect(wantedImages(many, 2).map((w) => `${w.index}.${w.kind}`)).toEqual(['0.image', '0.thumb', '1.image', ...Array.from({ length: 14 }, (_, i) => `${i + 1}.thumb`)]);
  });
});
