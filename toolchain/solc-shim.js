#!/usr/bin/env node
// Makes solc-js (npm `solc`) answer like the native `solc` binary for the two
// modes our tools use: `--version` and `--standard-json` (input on stdin).
// py-solc-x, forge (`solc = ...`, offline) and Slither (`--solc ... --solc-standard-json`)
// all call it. Output is written with process.stdout.write and the exit code is set
// through process.exitCode: calling process.exit() after a large write truncates the
// piped output at 64 KiB.
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

function parseArgs(argv) {
  const options = { mode: null, basePath: null, includePaths: [], allowPaths: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const takeValue = () => {
      const [flag, inline] = arg.split(/=(.*)/s);
      if (inline !== undefined) return inline;
      i += 1;
      if (i >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[i];
    };
    if (arg === '--version' || arg === '-v') options.mode = 'version';
    else if (arg === '--standard-json') options.mode = 'standard-json';
    else if (arg.startsWith('--base-path')) options.basePath = takeValue();
    else if (arg.startsWith('--include-path')) options.includePaths.push(takeValue());
    else if (arg.startsWith('--allow-paths')) options.allowPaths.push(...takeValue().split(','));
    else if (arg === '--pretty-json' || arg === '--no-color') continue;
    else throw new Error(`solc shim: unsupported argument ${arg} (only --version and --standard-json)`);
  }
  return options;
}

function importResolver(options) {
  const roots = [options.basePath || process.cwd(), ...options.includePaths];
  return (importPath) => {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.resolve(root, importPath));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
    }
    return { error: `File not found: ${importPath} (searched ${candidates.join(', ')})` };
  };
}

function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
    return;
  }
  if (options.mode === 'version') {
    process.stdout.write(
      `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`,
    );
    process.exitCode = 0;
    return;
  }
  if (options.mode !== 'standard-json') {
    process.stderr.write('solc shim: pass --version or --standard-json\n');
    process.exitCode = 1;
    return;
  }
  const input = fs.readFileSync(0, 'utf8');
  const output = solc.compile(input, { import: importResolver(options) });
  process.stdout.write(output, () => {
    process.exitCode = 0;
  });
}

main();
