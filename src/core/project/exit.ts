/**
 * One exit code for a command run over several workspaces. Precedence, most urgent first:
 *   130/143 interrupted  >  1 operational  >  4 refused  >  3 invalid input  >  2 changes/drift  >  0 ok
 * An interruption stops the run (later workspaces are not started) and says so; an operational failure may have
 * left a workspace half-applied, so it outranks a refusal, which outranks a mistake in the input, which outranks
 * the mere news that there are changes.
 */
import { ExitCode } from '../errors.js';

const PRECEDENCE: readonly number[] = [
  ExitCode.terminated,
  ExitCode.interrupted,
  ExitCode.operational,
  ExitCode.refused,
  ExitCode.invalidInput,
  ExitCode.changes,
  ExitCode.ok,
];

const rank = (code: number): number => {
  const index = PRECEDENCE.indexOf(code);
  // Other codes (none today) count as operational failures.
  return index === -1 ? 2 : index;
};

export function combineExitCodes(codes: readonly number[]): number {
  let best: number = ExitCode.ok;
  for (const code of codes) if (rank(code) < rank(best)) best = code;
  return best;
}
