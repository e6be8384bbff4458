#!/usr/bin/env node
import { Command } from 'commander'
import { VERSION } from '../version.js'
import { registerBatch } from './commands/batch.js'
import { registerBench } from './commands/bench.js'
import { registerServe } from './commands/serve.js'
import { registerWorker } from './commands/worker.js'

const program = new Command()
  .name('inferd')
  .description('Serve machine-learning models over the Open Inference Protocol (KServe v2 / Triton).')
  .version(VERSION, '-v, --version', 'print the version')
  .showHelpAfterError()

registerServe(program)
registerBench(program)
registerBatch(program)
registerWorker(program)

await program.parseAsync(process.argv)
