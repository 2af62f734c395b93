/** Why an inbox request is refused: its status and a short code, all the sender is told. */
export class InboxRefusal extends Error {
  override name = 'InboxRefusal';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503,
    readonly code: string,
  ) {
    super(code);
  }
}
