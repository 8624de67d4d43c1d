// The explorers' arithmetic: cnn_core.shapes and cnn_core.kernels, spelled in JavaScript so that a
// slider step is computed and drawn in the browser. Every function here answers exactly what its
// Python namesake answers, refusals included (same sentence), on every setting the explorers'
// controls allow: tests/e2e/test_explorer_arithmetic.py runs these functions in Chromium against
// a table generated from cnn_core. Sizes are pixels along one axis; images are square, row-major.
// Pure: no DOM, no Streamlit. Each explorer's module is this file followed by widgets.js and its own.

const arithmetic = (() => {
  /** A refusal with cnn_core's sentence (Python raises ValueError with the same words). */
  class Refusal extends Error {}

  /** Span of a dilated kernel in input pixels: K_eff = K + (K − 1)(D − 1). */
  function effectiveKernelSize(kernel, dilation = 1) {
    return kernel + (kernel - 1) * (dilation - 1);
  }

  /** Zeros TensorFlow adds [before, after] for padding "same": O = ⌈I / S⌉, the odd one after. */
  function samePadding(size, kernel, stride = 1, dilation = 1) {
    const kEff = effectiveKernelSize(kernel, dilation);
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + kEff - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }

  /** Zeros added [before, after] for "valid", "same" or a whole number P on each side. */
  function paddingAmounts(size, kernel, stride = 1, padding = "valid", dilation = 1) {
    if (padding === "valid") return [0, 0];
    if (padding === "same") return samePadding(size, kernel, stride, dilation);
    return [padding, padding];
  }

  function checkStrideDilation(stride, dilation, layer) {
    if (stride > 1 && dilation > 1) {
      throw new Refusal(
        `Keras's ${layer} does not allow a stride of ${stride} together with a dilation of ` +
        `${dilation}: use stride 1 when dilating, or dilation 1 when striding.`);
    }
  }

  /** O = ⌊(I + P_before + P_after − K_eff) / S⌋ + 1; refuses like shapes.conv_output_size. */
  function convOutputSize(size, kernel, stride = 1, padding = "valid", dilation = 1) {
    checkStrideDilation(stride, dilation, "Conv2D");
    const [before, after] = paddingAmounts(size, kernel, stride, padding, dilation);
    const kEff = effectiveKernelSize(kernel, dilation);
    const padded = size + before + after;
    if (kEff > padded) {
      const what = `${kernel}×${kernel} kernel` +
        (dilation > 1 ? ` (spanning ${kEff}×${kEff} with dilation ${dilation})` : "");
      const article = String(kernel).startsWith("8") || kernel === 11 || kernel === 18 ? "An" : "A";
      if (before + after === 0) {
        throw new Refusal(`${article} ${what} does not fit in a ${size}×${size} input with no padding.`);
      }
      throw new Refusal(
        `${article} ${what} does not fit in a ${size}×${size} input with padding ` +
        `${before} + ${after}: the padded input is only ${padded}×${padded}.`);
    }
    return Math.floor((padded - kEff) / stride) + 1;
  }

  function convOutputSizeOr0(size, kernel, stride = 1, padding = "valid") {
    try {
      return convOutputSize(size, kernel, stride, padding);
    } catch (error) {
      if (error instanceof Refusal) return 0;
      throw error;
    }
  }

  /** Every number of formula (1.1) for one convolution (shapes.ConvArithmetic, camelCase). */
  function convArithmetic(size, kernel, stride = 1, padding = "valid", dilation = 1) {
    const output = convOutputSize(size, kernel, stride, padding, dilation);
    const [padBefore, padAfter] = paddingAmounts(size, kernel, stride, padding, dilation);
    const kEff = effectiveKernelSize(kernel, dilation);
    const padded = size + padBefore + padAfter;
    const numerator = padded - kEff;
    return {
      size, kernel, stride, dilation, padding, padBefore, padAfter, kEff, padded, numerator, output,
      remainder: numerator % stride,
      exact: numerator % stride === 0,
      symmetric: padBefore === padAfter,
      uncoveredReal: Math.max(0, numerator % stride - padAfter),
      uncoveredPadding: Math.min(numerator % stride, padAfter),
      sameTotal: padBefore + padAfter,
    };
  }

  /** For each output index, the input indices its window reads (negative or ≥ I: padding). */
  function windowPositions(size, kernel, stride = 1, padding = "valid", dilation = 1) {
    const [before] = paddingAmounts(size, kernel, stride, padding, dilation);
    const out = convOutputSize(size, kernel, stride, padding, dilation);
    return Array.from({length: out}, (_, o) =>
      Array.from({length: kernel}, (_, k) => o * stride - before + k * dilation));
  }

  /** Pooling's output size; stride defaults to the pool, as in Keras. */
  function poolOutputSize(size, pool, stride = null, padding = "valid") {
    stride = stride ?? pool;
    if (padding === "same") return Math.ceil(size / stride);
    if (pool > size) {
      throw new Refusal(
        `A ${pool}×${pool} pooling window does not fit in a ${size}×${size} input ` +
        "with 'valid' padding: use a smaller pool, or 'same' padding.");
    }
    return Math.floor((size - pool) / stride) + 1;
  }

  /** For each pooling output index, the real input indices in its window. */
  function poolWindowPositions(size, pool, stride = null, padding = "valid") {
    stride = stride ?? pool;
    const out = poolOutputSize(size, pool, stride, padding);
    const before = padding === "same" ? samePadding(size, pool, stride)[0] : 0;
    return Array.from({length: out}, (_, o) => {
      const window = [];
      for (let i = o * stride - before; i < o * stride - before + pool; i++) {
        if (i >= 0 && i < size) window.push(i);
      }
      return window;
    });
  }

  /** Keras's Conv2DTranspose output size (shapes.conv_transpose_output_size). */
  function convTransposeOutputSize(size, kernel, stride = 1, padding = "valid", dilation = 1, outputPadding = null) {
    checkStrideDilation(stride, dilation, "Conv2DTranspose");
    const kEff = effectiveKernelSize(kernel, dilation);
    if (outputPadding === null) {
      return padding === "same" ? size * stride : (size - 1) * stride + Math.max(kEff, stride);
    }
    if (!(outputPadding >= 0 && outputPadding < stride)) {
      throw new Refusal(
        `The output padding (${outputPadding}) must be at least 0 and smaller than the ` +
        `stride (${stride}).`);
    }
    if (padding === "valid") return (size - 1) * stride + kEff + outputPadding;
    return (size - 1) * stride + kEff - 2 * Math.floor(kEff / 2) + outputPadding;
  }

  /** For each input index of a Conv2DTranspose, the output indices its K taps are added to. */
  function transposedPatches(size, kernel, stride = 1, padding = "valid", outputPadding = null) {
    const out = convTransposeOutputSize(size, kernel, stride, padding, 1, outputPadding);
    const back = convOutputSizeOr0(out, kernel, stride, padding);
    if (back !== size) {
      throw new Refusal(
        `Keras computes a ${out}×${out} output here, but TensorFlow refuses to run the layer: ` +
        `a '${padding}' convolution with stride ${stride} takes ${out}×${out} to ${back}×${back}, ` +
        `not back to ${size}×${size}. Choose another output padding (or none).`);
    }
    return windowPositions(out, kernel, stride, padding).map((w) => w.filter((o) => o >= 0 && o < out));
  }

  /** How many input pixels' stamps cover each output pixel: an O×O grid of counts. */
  function transposedCoverage(size, kernel, stride = 1, padding = "valid", outputPadding = null) {
    const patches = transposedPatches(size, kernel, stride, padding, outputPadding);
    const out = convTransposeOutputSize(size, kernel, stride, padding, 1, outputPadding);
    const line = new Array(out).fill(0);
    for (const patch of patches) for (const o of patch) line[o] += 1;
    return line.map((r) => line.map((c) => r * c));
  }

  /** The window after one Play step: per_tick cells on, stopping on the last before wrapping to 0. */
  function playStep(step, positions, perTick = 1) {
    if (step >= positions - 1) return 0;
    return Math.min(step + perTick, positions - 1);
  }

  /** The last window of step's row; from a row's end, the end of the next row. */
  function endOfRow(step, output) {
    let end = Math.floor(step / output) * output + output - 1;
    if (step === end) end = Math.min(end + output, output * output - 1);
    return end;
  }

  // --- kernels: one grey image, as TensorFlow computes it (cnn_core.kernels) -------------------

  /** One output channel of a Conv2D without bias. image: Float64Array of n×n; kernel: K rows of K. */
  function convolve2d(image, n, kernel, stride = 1, padding = "valid", dilation = 1) {
    const k = kernel.length;
    const out = convOutputSize(n, k, stride, padding, dilation);
    const [before] = paddingAmounts(n, k, stride, padding, dilation);
    const values = new Float64Array(out * out);
    // Tap by tap, as numpy sums its shifted views: the same order of additions, the same floats.
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const w = kernel[i][j];
        if (w === 0) continue;
        for (let r = 0; r < out; r++) {
          const y = r * stride + i * dilation - before;
          if (y < 0 || y >= n) continue;
          for (let c = 0; c < out; c++) {
            const x = c * stride + j * dilation - before;
            if (x >= 0 && x < n) values[r * out + c] += w * image[y * n + x];
          }
        }
      }
    }
    return {size: out, values};
  }

  /** Max or average pooling of an n×n image (padding never wins, and is not counted). */
  function pool2d(image, n, pool, stride = null, padding = "valid", mode = "max") {
    const windows = poolWindowPositions(n, pool, stride, padding);
    const out = windows.length;
    const values = new Float64Array(out * out);
    for (let r = 0; r < out; r++) {
      for (let c = 0; c < out; c++) {
        let best = -Infinity, sum = 0, count = 0;
        for (const y of windows[r]) {
          for (const x of windows[c]) {
            const v = image[y * n + x];
            if (v > best) best = v;
            sum += v;
            count += 1;
          }
        }
        values[r * out + c] = mode === "max" ? best : sum / count;
      }
    }
    return {size: out, values};
  }

  /** For max pooling, [row, column] of each window's winner; ties go to the first in reading order. */
  function poolWinners(image, n, pool, stride = null, padding = "valid") {
    const windows = poolWindowPositions(n, pool, stride, padding);
    const winners = [];
    for (const rows of windows) {
      for (const cols of windows) {
        let best = [rows[0], cols[0]];
        for (const y of rows) {
          for (const x of cols) if (image[y * n + x] > image[best[0] * n + best[1]]) best = [y, x];
        }
        winners.push(best);
      }
    }
    return winners;
  }

  /** Shrink an n×n image to size×size by averaging the pixels whose centres fall in each cell. */
  function downsample(image, n, size) {
    const index = Array.from({length: n}, (_, i) => Math.min(Math.floor((i + 0.5) / (n / size)), size - 1));
    const sums = new Float64Array(size * size);
    const counts = new Array(size).fill(0);
    for (const i of index) counts[i] += 1;
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) sums[index[y] * size + index[x]] += image[y * n + x];
    return sums.map((s, cell) => s / (counts[Math.floor(cell / size)] * counts[cell % size]));
  }

  /** Round to the nearest whole number, an exact half to the even one (numpy.round). */
  function roundHalfEven(x) {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }

  return {
    Refusal, roundHalfEven, effectiveKernelSize, samePadding, paddingAmounts, convOutputSize, convOutputSizeOr0,
    convArithmetic, windowPositions, poolOutputSize, poolWindowPositions, convTransposeOutputSize,
    transposedPatches, transposedCoverage, playStep, endOfRow, convolve2d, pool2d, poolWinners,
    downsample,
  };
})();
