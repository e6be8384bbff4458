import { pino, type Logger } from 'pino'

export type { Logger }

/** The process logger: JSON lines on stdout (pino). Library code never writes to the console. */
export function createLogger (level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { service: 'inferd' }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? process.stdout)
}
