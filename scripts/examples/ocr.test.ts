import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleOcrLib, OCR_GLUE_MODELS, setupOcr } from './ocr.js'

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'inferd-ocr-setup-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

describe('setupOcr', () => {
  it('copies the three models and the dictionaries, writes the glue library, then keeps them', async () => {
    const first = await setupOcr(dir)
    expect(first).toMatch(/^ocr: copied ocr_det\/1\/model\.onnx, copied ocr_cls\/1\/model\.onnx, copied ocr_rec\/1\/model\.onnx/)
    for (const model of ['ocr_det', 'ocr_cls', 'ocr_rec']) expect((await stat(join(dir, model, '1', 'model.onnx'))).size).toBeGreaterThan(500_000)
    const dictionary = await readFile(join(dir, 'ocr_text', 'ppocr_keys_v1.txt'), 'utf8')
    expect(dictionary.split('\n')).toHaveLength(6623) // + blank + space = the recogniser's 6625 classes
    const lib = await bundleOcrLib()
    for (const model of OCR_GLUE_MODELS) expect(await readFile(join(dir, model, '1', 'ocr-lib.mjs'), 'utf8')).toBe(lib)
    expect(await setupOcr(dir)).toBe('ocr: models, dictionaries and glue library present, kept')
  })

  it('rewrites a glue library that differs from the source, and only that', async () => {
    await writeFile(join(dir, 'ocr_crop', '1', 'ocr-lib.mjs'), '// stale')
    expect(await setupOcr(dir)).toMatch(/^ocr: updated ocr_crop\/1\/ocr-lib\.mjs \(/)
  })
})

describe('bundleOcrLib', () => {
  it('is one ESM file importing only sharp and node built-ins, exporting what the glue models use', async () => {
    const lib = await bundleOcrLib()
    const imports = [...lib.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1])
    expect(new Set(imports.filter((i) => !i!.startsWith('node:')))).toEqual(new Set(['sharp']))
    const exported = /^export \{([^}]*)\};$/m.exec(lib)?.[1]?.split(',').map((s) => s.trim()).sort()
    expect(exported).toEqual(['ctcVocabulary', 'decodeCtc', 'decodeRgb', 'detectionInput', 'findTextBoxes', 'lineCrops', 'pageUpsideDown',
      'splitLabels', 'turnRows', 'upsideDownRows', 'validateCtcSpec', 'validateDetectionInputSpec', 'validateLineCropSpec', 'validateTextDetectionSpec'])
  })
})
