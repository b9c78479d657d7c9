/**
 * A pipeline as data: a list of stages run in order over one shared state (a page's), each
 * stage given only its own part of the settings. `runStages` is the one place a stage's failure
 * is caught. A stage that declares `onFailure` is one whose loss the result can live with (a
 * missing thumbnail still leaves the text): its failure is recorded, what it and the earlier
 * stages put in the state stays, and the later stages still run. Any other stage's failure
 * ends the run and reaches the caller as it was thrown.
 */

export interface Stage<State, Settings = undefined> {
  readonly name: string;
  /** Left out: a failure of this stage ends the run. */
  readonly onFailure?: {
    /** Put before the error's message in the recorded failure. */
    readonly prefix?: string;
    /** When several stages failed, the one reported has the highest precedence (the earliest among equals). */
    readonly precedence: number;
  };
  readonly run: (state: State, settings: Settings) => Promise<void> | void;
}

/** A stage of the list and the key of the settings it reads (none for a stage without settings). */
export type StageEntry<State, Settings> =
  | { readonly [K in keyof Settings]-?: { readonly stage: Stage<State, Settings[K]>; readonly settings: K } }[keyof Settings]
  | { readonly stage: Stage<State, undefined>; readonly settings?: undefined };

export interface StageFailure {
  /** The failed stage's name. */
  readonly stage: string;
  /** The error's message after the stage's prefix. */
  readonly message: string;
  readonly precedence: number;
  readonly error: unknown;
}

const messageOf = (error: unknown) => (error as Error)?.message ?? String(error);

/** Runs `stages` in order over `state`; returns the recorded failures, in stage order. */
export async function runStages<State, Settings>(
  stages: readonly StageEntry<State, Settings>[],
  state: State,
  settings: Settings,
): Promise<StageFailure[]> {
  const failures: StageFailure[] = [];
  for (const entry of stages) {
    // The entry type pairs each stage with the key of its own settings; TypeScript cannot follow
    // that pairing through the union, so the stage is called as one that takes whatever it is given.
    const stage = entry.stage as Stage<State, unknown>;
    const own = entry.settings === undefined ? undefined : settings[entry.settings];
    try {
      await stage.run(state, own);
    } catch (error) {
      if (!stage.onFailure) throw error;
      failures.push({ stage: stage.name, message: `${stage.onFailure.prefix ?? ''}${messageOf(error)}`, precedence: stage.onFailure.precedence, error });
    }
  }
  return failures;
}

/** The failure to report of those recorded: highest precedence, the earliest among equals. */
export function reportedFailure(failures: readonly StageFailure[]): StageFailure | null {
  let reported: StageFailure | null = null;
  for (const failure of failures) if (!reported || failure.precedence > reported.precedence) reported = failure;
  return reported;
}
