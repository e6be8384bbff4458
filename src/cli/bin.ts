#!/usr/bin/env node
import { Command } from 'commander'
import { VERSION } from '../version.js'
import { registerBench } from './commands/bench.js'
import { registerServe } from './commands/serve.js'

const program = new Command()
  .name('inferd')
  .description('Serve machine-learning models over the Open Inference Protocol (KServe v2 / Triton).')
  .version(VERSION, '-v, --version', 'print the version')
  .showHelpAfterError()

registerServe(program)
registerBench(program)

await program.parseAsync(process.argv)
