// tf.customGrad typed for the one-input ops our kernels and the fused layer chain define (its own typing wants a
// variadic signature that a one-tensor op cannot state without casts at every use).
import * as tf from '@tensorflow/tfjs';

/** A one-input op with its own gradient. */
export function unaryOp(f: (x: tf.Tensor, save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor }): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
}
