/**
 * The types every command module shares. They live apart from index.ts (the command list) so a command never
 * imports the module that imports it.
 */
import type { CommandModule } from 'yargs';

export interface GlobalOptions {
  'api-url'?: string;
  local: boolean;
  color?: boolean;
  cache: boolean;
  debug: boolean;
}

export type TitanCommand = CommandModule<GlobalOptions, any>; // any: each command's arguments are its own type, inferred by yargs
