import { fileURLToPath } from 'node:url'
import type { ServiceDefinition } from '@grpc/grpc-js'
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader'

/**
 * The folder holding inferd's .proto files. Both `src/protocols/grpc/` and the built
 * `dist/protocols/grpc/` sit three levels below the package root, where `proto/` ships.
 */
export const PROTO_DIR = fileURLToPath(new URL('../../../proto/', import.meta.url))

/** The service file (it imports model_config.proto) and the health-checking file, inside {@link PROTO_DIR}. */
export const PROTO_FILES: readonly string[] = Object.freeze(['grpc_service.proto', 'health.proto'])

/**
 * How messages become JS objects (and back). 64-bit integers as decimal strings: `long` objects
 * would leak into the codec and numbers would round above 2^53 (INT64/UINT64 tensors and
 * parameters must stay exact). Enums as names, as the JSON form of the model config has them.
 * No defaults, so that "left out" stays distinguishable from "zero" (an empty `model_version`
 * and a missing one mean the same, but a missing `contents` and an empty one do not).
 * `bytes` stay Buffers: views on the received message, so raw tensor contents are not copied.
 */
export const LOADER_OPTIONS: Options = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR],
})

/** Fully qualified names of the services inferd implements. */
export const INFERENCE_SERVICE = 'inference.GRPCInferenceService'
export const HEALTH_SERVICE = 'grpc.health.v1.Health'

/** The service definitions grpc-js `Server.addService` takes. */
export interface InferdProtos {
  readonly inference: ServiceDefinition
  readonly health: ServiceDefinition
}

let loaded: InferdProtos | undefined

/**
 * Parses the proto files (once per process; parsing takes some milliseconds) and returns the
 * service definitions grpc-js serves. There is no code generation step: the files in `proto/`
 * are the only source of truth for the wire format.
 */
export function loadProtos (): InferdProtos {
  if (loaded !== undefined) return loaded
  const pkg: PackageDefinition = loadSync([...PROTO_FILES], LOADER_OPTIONS)
  loaded = Object.freeze({
    inference: pkg[INFERENCE_SERVICE] as ServiceDefinition,
    health: pkg[HEALTH_SERVICE] as ServiceDefinition,
  })
  return loaded
}
