/** Vitest global setup: produces the generated test fixtures and example models once per run. */
export default async function setup (): Promise<void> {
  // filled in by the fixtures work
}
