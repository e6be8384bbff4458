/**
 * Writes docs/errors.md from the error registry, keeping the prose descriptions that already
 * exist there. `src/errors/errors.test.ts` fails when the doc and the registry disagree.
 *   npx tsx scripts/gen-errors-doc.ts
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { Errors } from '../src/errors/codes.js'
import { httpStatusOf, InferdError } from '../src/errors/index.js'

const path = new URL('../docs/errors.md', import.meta.url)
let existing = ''
try { existing = readFileSync(path, 'utf8') } catch {}
const described = new Map<string, string>()
for (const m of existing.matchAll(/^\| `(INFERD_ERR_\w+)` \|[^|]*\|[^|]*\|[^|]*\| (.*) \|$/gm)) described.set(m[1]!, m[2]!)

const rows = Object.values(Errors).map((def) => {
  const status = httpStatusOf(new InferdError(def, []))
  const when = described.get(def.code) ?? def.message.replace(/%[sd]/g, '…').replace(/\|/g, '\\|')
  return `| \`${def.code}\` | ${def.canonical} | ${status} | ${def.retryable ? 'yes' : 'no'} | ${when} |`
})
writeFileSync(path, `# Error codes

Every client-visible failure carries one of these stable codes. Over HTTP the body is
\`{"error": "<message>", "code": "<code>", "requestId": "<id>"}\` (the \`error\` field is the Open
Inference Protocol's); over gRPC the status code comes from the canonical status and the code
travels in the \`inferd-error-code\` trailer. Retryable errors carry \`Retry-After\`. Codes are
never reused once retired.

| code | canonical | HTTP | retryable | when |
|---|---|---|---|---|
${rows.join('\n')}
`)
console.log(`docs/errors.md: ${rows.length} codes`)
