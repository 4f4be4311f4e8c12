import type { Page } from "./types.js";

/**
 * A cursor-paginated list. Iterating it with `for await` yields every item, fetching pages as it goes;
 * `pages()` yields whole pages, `page(cursor)` fetches exactly one, and `toArray()` collects everything.
 * Nothing is fetched until you ask.
 */
export class PageIterator<T> implements AsyncIterable<T> {
  readonly #fetchPage: (cursor: string | undefined) => Promise<Page<T>>;
  readonly #startCursor: string | undefined;

  constructor(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, startCursor?: string) {
    this.#fetchPage = fetchPage;
    this.#startCursor = startCursor;
  }

  /** One page: the first (or the one at `cursor`); its `nextCursor` is absent on the last page. */
  page(cursor: string | undefined = this.#startCursor): Promise<Page<T>> {
    return this.#fetchPage(cursor);
  }

  /** Every page in turn. A trailing empty page (a cursor that led nowhere) is not yielded. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let cursor = this.#startCursor;
    let first = true;
    do {
      const page = await this.#fetchPage(cursor);
      if (first || page.items.length > 0) yield page;
      first = false;
      cursor = page.nextCursor;
    } while (cursor);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.items;
  }

  async toArray(): Promise<T[]> {
    const all: T[] = [];
    for await (const page of this.pages()) all.push(...page.items);
    return all;
  }
}
