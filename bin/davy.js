#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (`make build` produces dist/).
import '../dist/cli/index.js';
