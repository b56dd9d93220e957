// Entry point of the bundled CLI: the only place that touches process.exit.
import { main } from './main.js';

const code = await main(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
process.exitCode = code;
// Let stdout drain, then leave even if a stray handle (a keep-alive socket, a timer) is still open.
process.stdout.write('', () => process.exit(code));
