/**
 * Answers worked out from a request header's value (Accept-Encoding, a language cookie with Accept-Language),
 * remembered by that value: clients send a handful of distinct ones, and working one out is a good part of sending a
 * kept answer. Only short values are kept, and at most `entries` of them (all are forgotten when it is full), so that
 * odd clients cannot fill the memory.
 */
export class ShortKeyMemo<T> {
  private readonly answers = new Map<string, T>();

  constructor(
    private readonly entries: number,
    private readonly maxKeyLength: number,
  ) {}

  get(key: string, derive: () => T): T {
    let answer = this.answers.get(key);
    if (answer === undefined) {
      answer = derive();
      if (key.length <= this.maxKeyLength) {
        if (this.answers.size >= this.entries) this.answers.clear();
        this.answers.set(key, answer);
      }
    }
    return answer;
  }
}
