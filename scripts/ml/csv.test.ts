import { describe, expect, it } from 'vitest'
import { parseCsv } from './csv.js'

describe('parseCsv', () => {
  it('keys rows by the header and keeps every value a string', () => {
    expect(parseCsv('a,b,c\n1,,x\n2,3.5,y\n')).toEqual([{ a: '1', b: '', c: 'x' }, { a: '2', b: '3.5', c: 'y' }])
  })

  it('reads quoted values with commas, doubled quotes and line breaks, and CRLF line ends', () => {
    expect(parseCsv('name,note\r\n"O\'Hare, Chicago","say ""hi""\nthere"\r\nplain,x')).toEqual([
      { name: "O'Hare, Chicago", note: 'say "hi"\nthere' },
      { name: 'plain', note: 'x' },
    ])
  })

  it('refuses ragged rows and unterminated quotes', () => {
    expect(() => parseCsv('a,b\n1\n')).toThrow(/Invalid Record Length/)
    expect(() => parseCsv('a\n"open\n')).toThrow(/Quote Not Closed/i)
  })

  it('gives no rows for empty text or a header alone', () => {
    expect(parseCsv('')).toEqual([])
    expect(parseCsv('a,b\n')).toEqual([])
  })
})
