// Sentiment of English text with wink-nlp: a custom model for inferd's TypeScript backend.
// The contract (initialize / execute / finalize) is documented in src/backends/typescript/types.ts.
import winkNLP from 'wink-nlp'
import englishModel from 'wink-eng-lite-web-model'

const decoder = new TextDecoder()
let nlp
let neutralThreshold

/** Loads wink-nlp's English model once per thread and reads the neutral band from config.yaml. */
export function initialize (ctx) {
  nlp = winkNLP(englishModel)
  neutralThreshold = Number(ctx.parameters.neutral_threshold ?? '0.05')
  if (!(neutralThreshold >= 0 && neutralThreshold < 1)) throw new Error(`neutral_threshold must be in [0, 1), got '${ctx.parameters.neutral_threshold}'`)
  ctx.logger.info('wink-nlp English model loaded', { neutralThreshold })
}

/** Scores each text of the batch; both outputs have the input's shape ([rows, 1]). */
export function execute (inputs) {
  const text = inputs.text
  const scores = new Float32Array(text.data.length)
  const labels = []
  text.data.forEach((bytes, i) => {
    const score = nlp.readDoc(decoder.decode(bytes)).out(nlp.its.sentiment)
    scores[i] = score
    labels.push(score >= neutralThreshold ? 'positive' : score <= -neutralThreshold ? 'negative' : 'neutral')
  })
  return {
    sentiment: { shape: text.shape, data: scores },
    label: { shape: text.shape, data: labels },
  }
}
