/**
 * Errors as plain data, so they can cross a thread boundary. postMessage's structured clone
 * keeps an Error's message but drops its class and its own properties (`code`), so a thread's
 * failure would otherwise arrive as an anonymous Error that callers cannot tell apart.
 */

/** An Error as plain, cloneable data; `cause` is the next link of the chain. */
export interface ErrorData {
  name: string;
  message: string;
  stack?: string;
  code?: string | number;
  cause?: ErrorData | string;
}

/** A class whose instances can be rebuilt from data: its instances' `name` is the class's name. */
export type ErrorClass = abstract new (...args: never[]) => Error;

export function errorToData(error: unknown): ErrorData {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(cause === undefined ? {} : { cause: cause instanceof Error ? errorToData(cause) : String(cause) }),
  };
}

/**
 * The Error that `data` describes: an instance of the class in `known` with the same name
 * (built without running its constructor, whose arguments differ from class to class), else
 * a plain Error with the original name.
 */
export function errorFromData(data: ErrorData, known: readonly ErrorClass[] = []): Error {
  const cause = typeof data.cause === 'object' ? errorFromData(data.cause, known) : data.cause;
  const kind = known.find((candidate) => candidate.name === data.name) ?? Error;
  const error: Error = Reflect.construct(Error, [data.message, ...(cause === undefined ? [] : [{ cause }])], kind);
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  if (data.code !== undefined) Object.assign(error, { code: data.code });
  return error;
}
