// The executable entry: `bin/davy.js` loads the compiled copy; tests and the demo run this file
// through tsx. Everything else in src/cli is importable without side effects.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
