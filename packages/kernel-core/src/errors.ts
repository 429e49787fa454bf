/** Input the model cannot act on (an address outside any mapping, an unknown pid or handle). */
export class ModelInputError extends Error {
  constructor(
    /** The event field at fault, e.g. "addr". */
    readonly field: string,
    /** What was expected, in words. */
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`${field}: expected ${expected}, got ${JSON.stringify(actual)}`);
    this.name = 'ModelInputError';
  }
}
