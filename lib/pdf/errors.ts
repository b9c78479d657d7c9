/**
 * Failures that belong to the file (corrupt, encrypted, too large): a `PdfInputError` carries a
 * readable reason and a code, so the caller fails the document without retrying.
 */

/** A problem with the input file itself: retrying cannot help. */
export class PdfInputError extends Error {
  readonly code: 'encrypted' | 'corrupt' | 'too_many_pages' | 'empty' | 'too_large';
  constructor(code: PdfInputError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PdfInputError';
    this.code = code;
  }
}

export function describeOpenError(error: unknown): PdfInputError | unknown {
  const name = (error as { name?: string })?.name;
  const message = (error as { message?: string })?.message ?? String(error);
  if (name === 'PasswordException') {
    return new PdfInputError('encrypted', 'The PDF is encrypted and needs a password to open.', { cause: error });
  }
  if (name === 'InvalidPDFException' || name === 'FormatError' || name === 'UnknownErrorException') {
    return new PdfInputError('corrupt', `The PDF is damaged and cannot be read: ${message}`, { cause: error });
  }
  return error;
}
