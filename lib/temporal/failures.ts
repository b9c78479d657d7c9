/**
 * Failure types that retrying cannot fix: they belong to the input, not to the machine, so
 * activities raise them as non-retryable and the workflow's retry policies never retry them.
 * Workflow code imports this module, and Temporal bundles workflows into a deterministic
 * sandbox that may only hold pure code: so this file imports nothing.
 */

/** The PDF itself cannot be read (damaged, encrypted, too large); the name of lib/pdf/errors.ts's PdfInputError. */
export const PDF_INPUT_ERROR = 'PdfInputError';

/** The document's stored PDF is gone. */
export const DOCUMENT_MISSING = 'DocumentMissing';

export const NON_RETRYABLE_TYPES = [PDF_INPUT_ERROR, DOCUMENT_MISSING];
