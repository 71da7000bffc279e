/**
 * face-api (@vladmandic/face-api, its WASM build) loaded and run with less memory; what it detects is unchanged
 * (docs/adr/0027-lean-face-api.md).
 *
 * - `requireFaceApi` gives face-api tfjs-core, the converter and the WASM backend instead of the whole
 *   `@tensorflow/tfjs` package it requires (layers, data, the CPU and WebGL backends: ≈ 18 MiB of a worker).
 * - `useLeanPasses` runs the tiny face detector and SSD MobileNet v1 layer by layer on their loaded weights, each
 *   intermediate tensor freed as soon as the next op has read it. face-api runs a whole pass inside one `tf.tidy`,
 *   which keeps every layer's output until the pass ends, and tfjs-wasm's heap never shrinks. The same ops run in the
 *   same order on the same tensors, so the outputs are the same bits; only when each tensor is freed changes.
 *   face-api's own pre-processing (`NetInput.toBatchTensor`), box decoding and non-maximum suppression are kept.
 */
import { createRequire, Module } from 'node:module';
import type * as TF from '@tensorflow/tfjs';

type Tensor = TF.Tensor;
type Tensor4D = TF.Tensor4D;
type Tf = typeof TF;

/** The parts of face-api's parameter objects the passes read (its src/common/types.ts, ssdMobilenetv1/types.ts). */
interface ConvParams {
  filters: Tensor4D;
  bias: TF.Tensor1D;
}
interface SeparableConvParams {
  depthwise_filter: Tensor4D;
  pointwise_filter: Tensor4D;
  bias: TF.Tensor1D;
}
interface TinyParams {
  conv0: ConvParams;
  conv1: SeparableConvParams;
  conv2: SeparableConvParams;
  conv3: SeparableConvParams;
  conv4: SeparableConvParams;
  conv5: SeparableConvParams;
  conv6?: SeparableConvParams;
  conv7?: SeparableConvParams;
  conv8: ConvParams;
}
interface PointwiseParams {
  filters: Tensor4D;
  batch_norm_offset: TF.Tensor1D;
}
interface DepthwiseParams {
  filters: Tensor4D;
  batch_norm_scale: TF.Tensor1D;
  batch_norm_offset: TF.Tensor1D;
  batch_norm_mean: TF.Tensor1D;
  batch_norm_variance: TF.Tensor1D;
}
interface BoxPredictorParams {
  box_encoding_predictor: ConvParams;
  class_predictor: ConvParams;
}
interface SsdParams {
  mobilenetv1: Record<string, PointwiseParams | { depthwise_conv: DepthwiseParams; pointwise_conv: PointwiseParams }>;
  prediction_layer: Record<string, PointwiseParams | BoxPredictorParams>;
  output_layer: { extra_dim: TF.Tensor3D };
}
/** face-api's NetInput: `toBatchTensor` resizes the image to the pass's square input and records the scale. */
interface NetInput {
  toBatchTensor(inputSize: number, isCenterInputs: boolean): Tensor4D;
}
/** The two nets as face-api builds them, with the method replaced. */
export interface LeanNets {
  tinyFaceDetector: {
    params?: unknown;
    forwardInput(input: NetInput, inputSize: number): Tensor4D;
  };
  ssdMobilenetv1: {
    params?: unknown;
    forwardInput(input: NetInput): { boxes: TF.Tensor2D[]; scores: TF.Tensor1D[] };
  };
}

/** face-api's constants: the tiny detector's mean RGB, leaky ReLU slope and SSD's batch-norm epsilon. */
const TINY_MEAN_RGB = [117.001, 114.697, 97.404] as const;
const LEAKY_SLOPE = 0.10000000149011612;
const BATCH_NORM_EPSILON = 0.0010000000474974513;
/** MobileNet v1's depthwise layers that halve the size (face-api's getStridesForLayerIdx). */
const SSD_STRIDE_2 = new Set([2, 4, 6, 12]);
/** The MobileNet layer whose output feeds SSD's first box predictor. */
const SSD_CONV11 = 11;

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');

/**
 * face-api's WASM build with tfjs-core and tfjs-converter given to it as `@tensorflow/tfjs` (resolved where face-api
 * resolves it), unless the whole package is loaded already. tfjs-core alone lacks the chained tensor methods the
 * package registers; face-api calls five of them on the way our passes take, added here.
 */
export function requireFaceApi(): FaceApi {
  const entry = createRequire(import.meta.url).resolve('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const fromFaceApi = createRequire(entry);
  const umbrella = fromFaceApi.resolve('@tensorflow/tfjs');
  if (!fromFaceApi.cache[umbrella]) {
    const fromTfjs = createRequire(umbrella);
    const core = fromTfjs('@tensorflow/tfjs-core') as Tf;
    const slim = new Module(umbrella);
    slim.filename = umbrella;
    slim.exports = { ...core, ...(fromTfjs('@tensorflow/tfjs-converter') as object) };
    slim.loaded = true;
    fromFaceApi.cache[umbrella] = slim;
    addChainedMethods(core);
  }
  return fromFaceApi(entry) as FaceApi;
}

/** The chained tensor methods face-api's input step and box decoding call (`NetInput.toBatchTensor`, `detect`). */
function addChainedMethods(tf: Tf): void {
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const add = (name: string, f: (t: Tensor, ...args: never[]) => Tensor) => {
    proto[name] ??= function (this: Tensor, ...args: never[]) {
      return f(this, ...args);
    };
  };
  add('reshape', (t, shape: number[]) => tf.reshape(t, shape));
  add('as3D', (t, ...shape: number[]) => tf.reshape(t, shape));
  add('as4D', (t, ...shape: number[]) => tf.reshape(t, shape));
  add('expandDims', (t, axis?: number) => tf.expandDims(t, axis));
  add('slice', (t, begin: number[], size?: number[]) => tf.slice(t, begin, size));
}

/**
 * Makes `nets` (face-api's `nets`) run both detectors' passes with the lean forward passes below. Each pass still runs
 * in a tidy, which frees whatever an error leaves behind.
 */
export function useLeanPasses(tf: Tf, nets: LeanNets): void {
  const tiny = nets.tinyFaceDetector;
  tiny.forwardInput = (input, inputSize) =>
    tf.tidy(() => tinyPass(tf, loaded(tiny.params) as TinyParams, input, inputSize));
  const ssd = nets.ssdMobilenetv1;
  ssd.forwardInput = (input) => tf.tidy(() => ssdPass(tf, loaded(ssd.params) as SsdParams, input));
}

function loaded(params: unknown): unknown {
  if (!params) throw new Error('face detector: load the model before inference');
  return params;
}

/** `f(t)`, then `t` freed: one step of a pass that no later step reads `t` after. */
function then<T>(t: Tensor, f: (t: Tensor) => T): T {
  try {
    return f(t);
  } finally {
    t.dispose();
  }
}

/**
 * The tiny face detector (face-api's TinyYolov2Base.forwardInput and runMobilenet, separable convolutions, first
 * layer a plain convolution): the input normalized, then conv0 and five depthwise-separable blocks, each but the
 * last followed by a 2 × 2 max pool, and the 1 × 1 output convolution.
 */
function tinyPass(tf: Tf, p: TinyParams, input: NetInput, inputSize: number): Tensor4D {
  // The batch tensor is small (inputSize² × 3): face-api's own steps in one tidy.
  let x: Tensor = tf.tidy(() => {
    const batch = tf.cast(input.toBatchTensor(inputSize, false), 'float32');
    const mean = tf.concat(
      TINY_MEAN_RGB.map((v) => tf.fill([...batch.shape.slice(0, 3), 1], v, 'float32')),
      3,
    );
    return tf.div(tf.sub(batch, mean), 255);
  });
  // Each step frees its input once read.
  const leaky = (t: Tensor): Tensor => {
    const min = then(tf.scalar(LEAKY_SLOPE), (slope) => tf.mul(t, slope));
    const relu = then(
      then(t, (t) => tf.sub(t, min)),
      (d) => tf.relu(d),
    );
    return then(min, (m) => then(relu, (r) => tf.add(r, m)));
  };
  const conv = (t: Tensor, c: ConvParams): Tensor =>
    then(
      then(t, (t) => tf.conv2d(t as Tensor4D, c.filters, [1, 1], 'valid')),
      (o) => tf.add(o, c.bias),
    );
  const separable = (t: Tensor, c: SeparableConvParams): Tensor => {
    const padded = then(t, (t) =>
      tf.pad(t, [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]),
    );
    const out = then(padded, (s) =>
      tf.separableConv2d(s as Tensor4D, c.depthwise_filter, c.pointwise_filter, [1, 1], 'valid'),
    );
    return leaky(then(out, (o) => tf.add(o, c.bias)));
  };
  const pool = (t: Tensor, stride: 1 | 2): Tensor => then(t, (t) => tf.maxPool(t as Tensor4D, [2, 2], stride, 'same'));
  x = leaky(conv(x, p.conv0));
  for (const c of [p.conv1, p.conv2, p.conv3, p.conv4, p.conv5]) x = separable(pool(x, 2), c);
  x = pool(x, 1);
  for (const c of [p.conv6, p.conv7]) if (c) x = separable(x, c);
  return conv(x, p.conv8) as Tensor4D;
}

/**
 * SSD MobileNet v1 (face-api's SsdMobilenetv1.forwardInput, mobileNetV1, predictionLayer and outputLayer): the
 * 512 × 512 input through MobileNet's 14 layers, then eight more convolutions, six box predictors read from layer 11,
 * the MobileNet output and every second extra convolution, decoded into boxes and scores. Each box predictor runs as
 * soon as its source exists, so no activation waits for the end of the pass.
 */
function ssdPass(tf: Tf, p: SsdParams, input: NetInput): { boxes: TF.Tensor2D[]; scores: TF.Tensor1D[] } {
  // Each layer frees its input once read.
  const pointwise = (t: Tensor, c: PointwiseParams, stride: 1 | 2): Tensor => {
    const conv = then(t, (t) => tf.conv2d(t as Tensor4D, c.filters, stride, 'same'));
    const biased = then(conv, (o) => tf.add(o, c.batch_norm_offset));
    return then(biased, (o) => tf.clipByValue(o, 0, 6));
  };
  const depthwise = (t: Tensor, c: DepthwiseParams, stride: 1 | 2): Tensor => {
    const conv = then(t, (t) => tf.depthwiseConv2d(t as Tensor4D, c.filters, stride, 'same'));
    const norm = then(conv, (o) =>
      tf.batchNorm(
        o,
        c.batch_norm_mean,
        c.batch_norm_variance,
        c.batch_norm_offset,
        c.batch_norm_scale,
        BATCH_NORM_EPSILON,
      ),
    );
    return then(norm, (o) => tf.clipByValue(o, 0, 6));
  };
  // A box predictor reads its source without freeing it; its outputs are small and kept to the end of the pass.
  const predictions: Tensor[] = [];
  const predict = (t: Tensor, c: BoxPredictorParams): void => {
    const conv = (k: ConvParams) => tf.add(tf.conv2d(t as Tensor4D, k.filters, 1, 'same'), k.bias);
    predictions.push(
      ...tf.tidy(() => [
        tf.reshape(conv(c.box_encoding_predictor), [1, -1, 1, 4]),
        tf.reshape(conv(c.class_predictor), [1, -1, 3]),
      ]),
    );
  };
  const m = p.mobilenetv1;
  const extra = p.prediction_layer;
  let x: Tensor = tf.tidy(() => tf.sub(tf.div(tf.cast(input.toBatchTensor(512, false), 'float32'), 127.5), 1));
  x = pointwise(x, m.conv_0 as PointwiseParams, 2);
  for (let layer = 1; layer <= 13; layer++) {
    const c = m[`conv_${layer}`] as { depthwise_conv: DepthwiseParams; pointwise_conv: PointwiseParams };
    x = pointwise(depthwise(x, c.depthwise_conv, SSD_STRIDE_2.has(layer) ? 2 : 1), c.pointwise_conv, 1);
    if (layer === SSD_CONV11) predict(x, extra.box_predictor_0 as BoxPredictorParams);
  }
  // Eight more layers of strides 1, 2, 1, 2 …; box predictors 1 … 5 read the MobileNet output and each layer of
  // stride 2.
  predict(x, extra.box_predictor_1 as BoxPredictorParams);
  for (let i = 0; i < 8; i++) {
    const stride = i % 2 === 1 ? 2 : 1;
    x = pointwise(x, extra[`conv_${i}`] as PointwiseParams, stride);
    if (stride === 2) predict(x, extra[`box_predictor_${(i + 1) / 2 + 1}`] as BoxPredictorParams);
  }
  x.dispose();
  return outputLayer(
    tf,
    tf.concat(
      predictions.filter((_, i) => i % 2 === 0),
      1,
    ),
    tf.concat(
      predictions.filter((_, i) => i % 2 === 1),
      1,
    ),
    p.output_layer.extra_dim,
  );
}

/** face-api's SSD outputLayer: the box encodings decoded against the anchors (`extraDim`), the face class's score. */
function outputLayer(
  tf: Tf,
  boxPredictions: Tensor,
  classPredictions: Tensor,
  extraDim: TF.Tensor3D,
): { boxes: TF.Tensor2D[]; scores: TF.Tensor1D[] } {
  const anchors = tf.unstack(tf.transpose(tf.reshape(tf.tile(extraDim, [1, 1, 1]), [-1, 4]), [1, 0]));
  const enc = tf.unstack(tf.transpose(tf.reshape(boxPredictions, [-1, 4]), [1, 0]));
  const [a0, a1, a2, a3] = anchors as [Tensor, Tensor, Tensor, Tensor];
  const [e0, e1, e2, e3] = enc as [Tensor, Tensor, Tensor, Tensor];
  const sizes = [tf.sub(a2, a0), tf.sub(a3, a1)] as const;
  const centers = [tf.add(a0, tf.div(sizes[0], 2)), tf.add(a1, tf.div(sizes[1], 2))] as const;
  const div0 = tf.div(tf.mul(tf.exp(tf.div(e2, 5)), sizes[0]), 2);
  const add0 = tf.add(tf.mul(tf.div(e0, 10), sizes[0]), centers[0]);
  const div1 = tf.div(tf.mul(tf.exp(tf.div(e3, 5)), sizes[1]), 2);
  const add1 = tf.add(tf.mul(tf.div(e1, 10), sizes[1]), centers[1]);
  const decoded = tf.transpose(
    tf.stack([tf.sub(add0, div0), tf.sub(add1, div1), tf.add(add0, div0), tf.add(add1, div1)]),
    [1, 0],
  );
  const boxes = tf.reshape(decoded, [1, decoded.shape[0] as number, 4]);
  const classes = tf.sigmoid(tf.slice(classPredictions, [0, 0, 1], [-1, -1, -1]));
  const scores = tf.reshape(tf.slice(classes, [0, 0, 0], [-1, -1, 1]), [1, classes.shape[1] as number]);
  return { boxes: tf.unstack(boxes) as TF.Tensor2D[], scores: tf.unstack(scores) as TF.Tensor1D[] };
}
