import assert from 'node:assert/strict';
import { MAX_SEARCH_TERMS, searchableText, searchTerms } from '../../server/store/query.js';

describe('search text', function () {
  it('keeps text without unspaced scripts as it is, after NFC', function () {
    const latin = 'The quick brown fox, c++ & e.g. naïve — done!';
    assert.equal(searchableText(latin), latin);
    assert.equal(searchableText('cafe\u0301'), 'café');
    assert.equal(searchableText(''), '');
  });

  it('puts spaces between the words of Chinese, Japanese, Thai, Burmese, Khmer and Lao', function () {
    assert.equal(searchableText('我们在学习中文'), '我们 在 学习 中文');
    assert.equal(searchableText('ภาษาไทยเป็นภาษาที่สวยงาม'), 'ภาษา ไทย เป็น ภาษา ที่ สวยงาม');
    assert.equal(searchableText('ကျွန်တော်မြန်မာစာဖတ်နေတယ်'), 'ကျွန်တော် မြန်မာ စာ ဖတ် နေ တယ်');
    assert.equal(searchableText('私は日本語を勉強しています'), '私 は 日本語 を 勉強 し てい ます');
    assert.equal(searchableText('ខ្ញុំរៀនភាសាខ្មែរ').split(' ').length, 3);
    assert.equal(searchableText('ພາສາລາວງາມຫຼາຍ').split(' ').length, 4);
  });

  it('adds spaces only next to unspaced words in mixed text', function () {
    assert.equal(searchableText('Parasol论坛 is "great", 2024年!'), 'Parasol 论坛 is "great", 2024 年 !');
    assert.equal(searchableText('  中文  '), '  中文  ');
  });

  it('splits query terms the same way, deduplicated and capped', function () {
    assert.deepEqual(searchTerms('学习中文'), ['学习', '中文']);
    assert.deepEqual(searchTerms('ภาษาไทย, Parasol论坛!'), ['ภาษา', 'ไทย', 'Parasol', '论坛']);
    assert.deepEqual(searchTerms('中文 中文'), ['中文']);
    assert.deepEqual(searchTerms(' ,.;!? 。！'), []);
    const long = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ');
    assert.equal(searchTerms(`${long} 我们在学习中文`).length, MAX_SEARCH_TERMS);
    for (const text of ['我们在学习中文', 'ภาษาไทยเป็นภาษาที่สวยงาม', 'Support小组 meets on 星期五']) {
      assert.deepEqual(searchTerms(text), searchTerms(searchableText(text)));
    }
  });
});
