// The executable entry: `bin/davy.js` loads the compiled copy; tests and the demo run this file
// through tsx. Everything else in src/cli is importable without side effects.
import { endOnUnhandled } from '../telemetry/fatal.js';
import { main } from './main.js';

const argv = process.argv.slice(2);
// The long-running components log JSON; so does their end by an error nobody handled.
if (argv[0] === 'step' || argv[0] === 'webhook') endOnUnhandled(argv[0] === 'step' ? 'stepper' : 'webhook');
process.exitCode = await main(argv);
