/**
 * The protocol-parity table: one list of inference requests, each with the answer both protocols
 * must give (HTTP status, gRPC status code, inferd error code, or the outputs). rest.test.ts and
 * grpc.test.ts run every case against a real server, so REST and gRPC cannot drift apart.
 *
 * A case is protocol-neutral: tensors as flat JS values, which each runner puts on its wire
 * (REST: JSON `data` and the binary extension; gRPC: typed `contents` and `raw_input_contents`).
 * Where the binary forms legitimately answer otherwise (a byte count that does not fit the
 * shape is a binary-data error, not an element-count one), `binary` says so.
 */
import type { ErrorCode } from '../../src/errors/codes.js'
import { FIXTURE_REPO, SCHEDULER_REPO } from '../helpers/paths.js'

/** A tensor in a case: data flat and row-major, BYTES as strings. */
export interface CaseTensor {
  readonly name: string
  readonly datatype: string
  readonly shape: readonly number[]
  readonly data: readonly (number | string | boolean)[]
}

export type CaseParameters = Readonly<Record<string, number | string | boolean>>

/** What one form of the request must be answered with. */
export type Expectation =
  | { readonly httpStatus: 200; readonly grpcCode: 0; readonly outputs: Readonly<Record<string, CaseTensor>> }
  | { readonly httpStatus: number; readonly grpcCode: number; readonly errorCode: ErrorCode }

export interface ProtocolCase {
  readonly name: string
  /** Which test repository serves the model. */
  readonly repo: 'fixtures' | 'scheduler'
  readonly model: string
  readonly version?: string
  readonly inputs: readonly CaseTensor[]
  readonly outputs?: ReadonlyArray<{ readonly name: string; readonly parameters?: CaseParameters }>
  readonly parameters?: CaseParameters
  readonly expect: Expectation
  /** The answer to the binary forms (REST binary extension, gRPC raw contents) when it differs. */
  readonly binary?: Expectation
}

/** gRPC status codes, by name (as @grpc/grpc-js `status`), so the table reads without a lookup. */
export const GRPC = { OK: 0, INVALID_ARGUMENT: 3, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, INTERNAL: 13, UNAVAILABLE: 14 } as const

export const REPOS = { fixtures: FIXTURE_REPO, scheduler: SCHEDULER_REPO } as const

const range = (n: number, f: (i: number) => number = (i) => i): number[] => Array.from({ length: n }, (_, i) => f(i))
const int32 = (name: string, data: number[], rows = 1): CaseTensor => ({ name, datatype: 'INT32', shape: [rows, 16], data })
const fp32 = (name: string, data: number[], rows = 1): CaseTensor => ({ name, datatype: 'FP32', shape: [rows, 16], data })
const fail = (httpStatus: number, grpcCode: number, errorCode: ErrorCode): Expectation => ({ httpStatus, grpcCode, errorCode })
const invalid = (errorCode: ErrorCode): Expectation => fail(400, GRPC.INVALID_ARGUMENT, errorCode)

const A = range(16)
const ONES = range(16, () => 1)

export const CASES: readonly ProtocolCase[] = [
  // ---- successes ----
  {
    name: 'infers with every output (simple: sum and difference)',
    repo: 'fixtures',
    model: 'simple',
    inputs: [int32('INPUT0', A), int32('INPUT1', ONES)],
    expect: {
      httpStatus: 200,
      grpcCode: 0,
      outputs: {
        OUTPUT0: int32('OUTPUT0', range(16, (i) => i + 1)),
        OUTPUT1: int32('OUTPUT1', range(16, (i) => i - 1)),
      },
    },
  },
  {
    name: 'infers a batch of 2 rows',
    repo: 'fixtures',
    model: 'simple',
    inputs: [int32('INPUT0', [...A, ...A], 2), int32('INPUT1', [...ONES, ...A], 2)],
    expect: {
      httpStatus: 200,
      grpcCode: 0,
      outputs: {
        OUTPUT0: int32('OUTPUT0', [...range(16, (i) => i + 1), ...range(16, (i) => 2 * i)], 2),
        OUTPUT1: int32('OUTPUT1', [...range(16, (i) => i - 1), ...range(16, () => 0)], 2),
      },
    },
  },
  {
    name: 'returns only the output asked for, from the version asked for',
    repo: 'fixtures',
    model: 'add_sub_fp32',
    version: '2',
    inputs: [fp32('INPUT0', A), fp32('INPUT1', ONES)],
    outputs: [{ name: 'OUTPUT0' }],
    // version 2 adds 1 to the sum
    expect: { httpStatus: 200, grpcCode: 0, outputs: { OUTPUT0: fp32('OUTPUT0', range(16, (i) => i + 2)) } },
  },
  {
    name: 'classifies an output (top 2, highest first)',
    repo: 'fixtures',
    model: 'add_sub_fp32',
    inputs: [fp32('INPUT0', A), fp32('INPUT1', range(16, () => 0))],
    outputs: [{ name: 'OUTPUT0', parameters: { classification: 2 } }],
    // version 3 (the latest) adds 2: the two highest of 2..17 are 17 (index 15) and 16 (index 14)
    expect: { httpStatus: 200, grpcCode: 0, outputs: { OUTPUT0: { name: 'OUTPUT0', datatype: 'BYTES', shape: [1, 2], data: ['17:15', '16:14'] } } },
  },
  {
    name: 'infers a model without a batch dimension',
    repo: 'fixtures',
    model: 'fixed_shape',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }],
    expect: { httpStatus: 200, grpcCode: 0, outputs: { y: { name: 'y', datatype: 'FP32', shape: [2, 3], data: [2, 4, 6, 8, 10, 12] } } },
  },
  {
    name: 'takes a priority within the model\'s levels',
    repo: 'scheduler',
    model: 'batched_add_sub',
    inputs: [fp32('INPUT0', A), fp32('INPUT1', ONES)],
    outputs: [{ name: 'OUTPUT1' }],
    parameters: { priority: 1, timeout: 30_000_000 },
    expect: { httpStatus: 200, grpcCode: 0, outputs: { OUTPUT1: fp32('OUTPUT1', range(16, (i) => i - 1)) } },
  },

  // ---- the model ----
  {
    name: 'unknown model',
    repo: 'fixtures',
    model: 'no_such_model',
    inputs: [int32('INPUT0', A)],
    expect: fail(404, GRPC.NOT_FOUND, 'INFERD_ERR_MODEL_NOT_FOUND'),
  },
  {
    name: 'unknown version',
    repo: 'fixtures',
    model: 'add_sub_fp32',
    version: '9',
    inputs: [fp32('INPUT0', A), fp32('INPUT1', A)],
    expect: fail(404, GRPC.NOT_FOUND, 'INFERD_ERR_MODEL_VERSION_NOT_FOUND'),
  },
  {
    name: 'unavailable model (failed to load)',
    repo: 'fixtures',
    model: 'broken',
    inputs: [fp32('INPUT0', A)],
    expect: fail(503, GRPC.UNAVAILABLE, 'INFERD_ERR_MODEL_NOT_READY'),
  },

  // ---- the tensors ----
  {
    name: 'missing input',
    repo: 'fixtures',
    model: 'simple',
    inputs: [int32('INPUT0', A)],
    expect: invalid('INFERD_ERR_INPUT_MISSING'),
  },
  {
    name: 'unknown input',
    repo: 'fixtures',
    model: 'simple',
    inputs: [int32('INPUT0', A), int32('INPUT1', A), int32('INPUT9', A)],
    expect: invalid('INFERD_ERR_INPUT_UNKNOWN'),
  },
  {
    name: 'duplicate input',
    repo: 'fixtures',
    model: 'simple',
    inputs: [int32('INPUT0', A), int32('INPUT0', A), int32('INPUT1', A)],
    expect: invalid('INFERD_ERR_INPUT_DUPLICATE'),
  },
  {
    name: 'wrong datatype',
    repo: 'fixtures',
    model: 'simple',
    inputs: [fp32('INPUT0', A), int32('INPUT1', A)],
    expect: invalid('INFERD_ERR_DTYPE_INVALID'),
  },
  {
    name: 'unknown datatype',
    repo: 'fixtures',
    model: 'simple',
    inputs: [{ name: 'INPUT0', datatype: 'FP8', shape: [1, 16], data: A }, int32('INPUT1', A)],
    expect: invalid('INFERD_ERR_DTYPE_UNKNOWN'),
  },
  {
    name: 'wrong shape',
    repo: 'fixtures',
    model: 'simple',
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 15], data: range(15) }, int32('INPUT1', A)],
    expect: invalid('INFERD_ERR_TENSOR_SHAPE_MISMATCH'),
  },
  {
    name: 'element count does not match the shape',
    repo: 'fixtures',
    model: 'simple',
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: range(15) }, int32('INPUT1', A)],
    expect: invalid('INFERD_ERR_TENSOR_SIZE_MISMATCH'),
    // 60 bytes where [1,16] INT32 needs 64: the binary data is wrong before any element is read
    binary: invalid('INFERD_ERR_REQ_BINARY_INVALID'),
  },
  {
    name: 'batch larger than max_batch_size',
    repo: 'fixtures',
    model: 'add_sub_fp32',
    inputs: [fp32('INPUT0', range(9 * 16), 9), fp32('INPUT1', range(9 * 16), 9)],
    expect: invalid('INFERD_ERR_BATCH_TOO_LARGE'),
  },
  {
    name: 'unknown output',
    repo: 'fixtures',
    model: 'simple',
    inputs: [int32('INPUT0', A), int32('INPUT1', A)],
    outputs: [{ name: 'OUTPUT9' }],
    expect: invalid('INFERD_ERR_OUTPUT_UNKNOWN'),
  },

  // ---- parameters ----
  {
    name: 'priority beyond the model\'s levels',
    repo: 'scheduler',
    model: 'batched_add_sub',
    inputs: [fp32('INPUT0', A), fp32('INPUT1', A)],
    parameters: { priority: 3 },
    expect: invalid('INFERD_ERR_PARAMETER_INVALID'),
  },
  {
    name: 'priority that is not an integer',
    repo: 'scheduler',
    model: 'batched_add_sub',
    inputs: [fp32('INPUT0', A), fp32('INPUT1', A)],
    parameters: { priority: 'high' },
    expect: invalid('INFERD_ERR_PARAMETER_INVALID'),
  },
  {
    name: 'classification of a non-positive count',
    repo: 'fixtures',
    model: 'add_sub_fp32',
    inputs: [fp32('INPUT0', A), fp32('INPUT1', A)],
    outputs: [{ name: 'OUTPUT0', parameters: { classification: 0 } }],
    expect: invalid('INFERD_ERR_PARAMETER_INVALID'),
  },

  // ---- the engine ----
  {
    name: 'the model fails while computing',
    repo: 'fixtures',
    model: 'runtime_error',
    // 1 row of 4: onnxruntime cannot reshape 4 elements to [-1, 3]
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
    expect: fail(500, GRPC.INTERNAL, 'INFERD_ERR_BACKEND_FAILED'),
  },
]
