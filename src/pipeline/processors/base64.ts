import { Errors } from '../../errors/codes.js'
import { InferdError } from '../../errors/inferd-error.js'

const DATA_URL = /^data:([^,;]*)((?:;[^,;]*)*),(.*)$/s
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$|^[A-Za-z0-9_-]*={0,2}$/

/**
 * Turns the text form of a file (an image, a WAV file, any bytes), as JSON requests carry it,
 * into bytes: either plain base64 (standard or URL-safe alphabet) or a `data:` URL with
 * `;base64`. Whitespace (line-wrapped base64) is ignored. Node's decoder skips characters it does
 * not know, so the text is checked first: otherwise a typo would reach the file's decoder as a
 * puzzling "corrupt file".
 *
 * @param name the request field, named in errors.
 * @throws InferdError TENSOR_DATA_INVALID when the text is not base64 or not a base64 data URL.
 */
export function decodeBase64 (text: string, name: string): Uint8Array {
  const invalid = (what: string): InferdError => new InferdError(Errors.TENSOR_DATA_INVALID, [name, what])
  let body = text.trim()
  const url = DATA_URL.exec(body)
  if (url !== null) {
    if (!(url[2] ?? '').split(';').includes('base64')) throw invalid('data: URL must be base64-encoded (data:image/png;base64,…)')
    body = url[3] ?? ''
  }
  body = body.replace(/\s+/g, '')
  if (body.length === 0) throw invalid('the base64 text is empty')
  if (!BASE64.test(body)) throw invalid('the text is neither base64 nor a data: URL')
  return new Uint8Array(Buffer.from(body, 'base64')) // Node's decoder reads both alphabets
}
