#!/usr/bin/env node
// The installed entry point: runs the bundled CLI (`make build` produces dist/bundle; hack/build.sh says why a bundle).
import '../dist/bundle/davy.js';
