import type { Model, Tensor } from './model.ts';

/**
 * Returns every input unchanged as an output of the same name, for any names, datatypes and batch
 * sizes. Costs nothing to compute, so benchmarks measure the transport and the pipeline.
 */
export function createEchoModel(): Model {
  return {
    name: 'echo',
    version: '1',
    platform: 'modelbridge_echo',
    inputs: [],
    outputs: [],
    anyInputs: true,
    infer(inputs: ReadonlyMap<string, Tensor>): Tensor[] {
      return [...inputs.values()];
    },
  };
}
