// The transposed-convolution explorer: each input pixel stamps the K×K kernel onto the output, S
// pixels further on for each step, and overlapping stamps add up. Keras's output size with the
// learner's numbers, one pixel's stamp, and how many stamps cover each output pixel. Computed and
// drawn here (arithmetic.js); the settled settings go back to Python (the link, the Keras line).

const {math} = widgets;
const {i: mi, n: mn, o: mo, result} = widgets.mml;

/** Keras's Conv2DTranspose size: the general form, then the learner's numbers worked out to O. */
function transposedFormula(t, out) {
  const grow = `<mrow>${mo("(")}${mn(t.size)}${mo("−")}${mn(1)}${mo(")")}${mo("·")}${mn(t.stride)}</mrow>`;
  const general = `${mi("O")}${mo("=")}<mrow>${mo("(")}${mi("I")}${mo("−")}${mn(1)}${mo(")")}</mrow><mspace width="0.2em"/>${mi("S")}`;
  const op = "<mi>output_padding</mi>";
  if (t.outputPadding === null && t.padding === "same") {
    return [math(`${mi("O")}${mo("=")}${mi("I")}${mo("·")}${mi("S")}`),
      math(`${mo("=")}${mn(t.size)}${mo("·")}${mn(t.stride)}${mo("=")}${result(out)}`)];
  }
  if (t.outputPadding === null) {
    return [math(`${general}${mo("+")}<mi>max</mi><mrow>${mo("(")}${mi("K")}${mo(",")}${mi("S")}${mo(")")}</mrow>`),
      math(`${mo("=")}${grow}${mo("+")}<mi>max</mi><mrow>${mo("(")}${mn(t.kernel)}${mo(",")}${mn(t.stride)}${mo(")")}</mrow>` +
        `${mo("=")}${mn((t.size - 1) * t.stride)}${mo("+")}${mn(Math.max(t.kernel, t.stride))}${mo("=")}${result(out)}`)];
  }
  if (t.padding === "valid") {
    return [math(`${general}${mo("+")}${mi("K")}${mo("+")}${op}`),
      math(`${mo("=")}${grow}${mo("+")}${mn(t.kernel)}${mo("+")}${mn(t.outputPadding)}${mo("=")}${result(out)}`)];
  }
  return [math(`${general}${mo("+")}${mi("K")}${mo("−")}${mn(2)}${mi("P")}${mo("+")}${op}${mo(",")}<mspace width="1em"/>` +
    `${mi("P")}${mo("=")}<mrow>${mo("⌊")}${mi("K")}${mo("/")}${mn(2)}${mo("⌋")}</mrow>`),
  math(`${mo("=")}${grow}${mo("+")}${mn(t.kernel)}${mo("−")}${mn(2)}${mo("·")}${mn(Math.floor(t.kernel / 2))}` +
    `${mo("+")}${mn(t.outputPadding)}${mo("=")}${result(out)}`)];
}

/** What the layer does to the size, in a sentence, and the Conv2D that undoes it. */
function consequence(t, out) {
  const {size, kernel, stride, padding} = t;
  let what;
  if (stride > 1 && out === size * stride) {
    what = `Stride ${stride} multiplies the size by ${stride}: **${size} → ${out}**. That is the decoder's way back up` +
      (stride === 2 ? " (two of these take the tutorial's 7×7 back to 28×28)." : ".");
  } else if (stride > 1) {
    what = `Stride ${stride} takes **${size} → ${out}**: ${stride} × ${size} = ${size * stride}, ` +
      `${out > size * stride ? "plus" : "minus"} ${Math.abs(out - size * stride)} at the border.`;
  } else if (out === size) {
    what = `At stride 1 'same' keeps the size (**${size} → ${out}**): no upsampling, just a convolution.`;
  } else {
    what = `At stride 1 'valid' grows the size by K − 1 = ${kernel - 1} (**${size} → ${out}**): the exact undoing of a ` +
      "'valid' convolution's shrink.";
  }
  if (arithmetic.convOutputSizeOr0(out, kernel, stride, padding) === size) {
    what += ` A Conv2D with the same K, S and padding takes ${out}×${out} back to ${size}×${size}.`;
    const sizes = [];
    for (let o = Math.max(1, out - stride); o <= out + stride; o++) {
      if (arithmetic.convOutputSizeOr0(o, kernel, stride, padding) === size) sizes.push(o);
    }
    if (t.outputPadding !== null && sizes.length > 1) {
      const listed = `${sizes.slice(0, -1).join(", ")} and ${sizes[sizes.length - 1]}`;
      what += ` It takes ${listed} to ${size} alike: the output padding says which of them you get back.`;
    }
  }
  return what;
}

/** Why the stamp counts differ (or not): gaps when K < S, a checkerboard when S does not divide K. */
function overlapNote(kernel, stride, coverage) {
  const counts = [...new Set(coverage.flat())].sort((a, b) => a - b);
  const listed = counts.length > 1 ? `${counts.slice(0, -1).join(", ")} or ${counts[counts.length - 1]}` : String(counts[0]);
  if (kernel < stride) {
    return `K = ${kernel} is smaller than S = ${stride}: the stamps do not touch, and the pixels marked 0 get nothing ` +
      "from any input pixel (only the bias).";
  }
  const zeros = counts[0] === 0 ? " The 0s are the output padding's extra row and column: no stamp reaches them." : "";
  if (kernel % stride) {
    return `K = ${kernel} is not a multiple of S = ${stride}: neighbouring output pixels get ${listed} stamps (the ` +
      "numbers in the cells). Even with equal weights the output is uneven, a **checkerboard**: the well-known " +
      `artefact of transposed convolutions. A kernel that is a multiple of the stride (K = ` +
      `${stride * (Math.floor(kernel / stride) + 1)}) covers the inside evenly.${zeros}`;
  }
  if (stride === 1) {
    return `At stride 1 every pixel inside is covered by all K² = ${kernel * kernel} stamps around it; only the border ` +
      `gets fewer. No checkerboard from the overlap.${zeros}`;
  }
  return `K = ${kernel} is a multiple of S = ${stride}: every pixel inside gets the same number of stamps ` +
    `(${counts[counts.length - 1]}); only the border gets fewer. No checkerboard from the overlap.${zeros}`;
}

/** Where input pixel (row, col) stamps its kernel, and where the next one's stamp starts. */
function pixelSentence(row, col, rows, cols, kernel, stride) {
  const cropped = rows.length < kernel || cols.length < kernel;
  return `Input pixel **(row ${row}, column ${col})** multiplies the ${kernel}×${kernel} kernel by its value and adds ` +
    `it to output rows ${rows[0]}…${rows[rows.length - 1]} and columns ${cols[0]}…${cols[cols.length - 1]}` +
    (cropped ? " (cropped: the rest of its stamp falls outside the output)" : "") +
    `. The next pixel's stamp lands ${stride} ${widgets.plural(stride, "pixel")} further on (dashed): where stamps ` +
    "overlap, they add up.";
}

function makeTransposed(parent, {setStateValue}) {
  const {el, rich} = widgets;
  const root = el("section", {class: "explorer", "data-explorer": "transposed"});
  parent.append(root);
  const state = {};
  let data = null, controls = {}, parts = {};
  const settle = widgets.settler(setStateValue, null);
  const stopWatching = widgets.onWidthChange(root, () => data && draw());

  const param = {
    size: "tconv_size", kernel: "tconv_kernel", stride: "tconv_stride", padding: "tconv_padding",
    outputPadding: "tconv_output_padding", pixel: "tconv_pixel",
  };
  const settings = () => widgets.settingsOf(state, param);
  const apply = widgets.updater({root, state, param, settle, build: () => build(), draw: draw});
  const shown = (key) => !data.hidden.includes(param[key]);
  const layer = () => ({
    size: state.size, kernel: state.kernel, stride: state.stride, padding: state.padding,
    outputPadding: state.outputPadding === "none" ? null : Number(state.outputPadding),
  });

  function changed() {
    settle.settle(settings());
    draw();
  }

  function slider(key) {
    return widgets.settingControl({data, state, param, controls, key, changed});
  }

  function build() {
    root.replaceChildren();
    controls = {};
    parts = {};
    controls.padding = widgets.radioGroup({
      label: data.labels.tconv_padding, options: [["valid", "valid"], ["same", "same"]], value: state.padding,
      name: "tconv_padding", inline: true,
      onChange: (v) => {
        state.padding = v;
        changed();
      },
    });
    controls.outputPadding = widgets.selectControl({
      label: data.labels.tconv_output_padding, name: "tconv_output_padding", value: state.outputPadding,
      options: data.output_paddings.map((v) => [v, v === "none" ? "none (default)" : String(v)]),
      help: data.help.tconv_output_padding,
      onChange: (v) => {
        state.outputPadding = v;
        changed();
      },
    });
    root.append(el("div", {class: "card controls-row"}, slider("size"), slider("kernel"), slider("stride"),
      shown("padding") ? controls.padding.root : null, shown("outputPadding") ? controls.outputPadding.root : null));
    parts.formula = el("div");
    parts.metric = el("div", {class: "metrics"});
    parts.consequence = el("p");
    parts.result = el("p", {class: "visually-hidden", "aria-live": "polite"});
    controls.pixel = widgets.numberControl({
      label: data.labels.tconv_pixel, min: 0, max: 0, value: state.pixel, exact: data.exact, name: "tconv_pixel",
      help: "Which input pixel's stamp to outline on the output.",
      onInput: (v) => {
        state.pixel = v;
        changed();
      },
    });
    parts.sentence = el("p");
    parts.figure = widgets.figure("");
    parts.figure.canvas.addEventListener("click", clickPixel);
    parts.legend = el("div");
    parts.note = el("p", {class: "caption"});
    parts.refused = el("p", {class: "note warning", hidden: true});
    root.append(el("div", {class: "columns"},
      el("div", {}, parts.formula, parts.metric, parts.consequence),
      el("div", {}, shown("pixel") ? controls.pixel.root : null, parts.refused, parts.sentence,
        el("div", {class: "figure-scroll"}, parts.figure.canvas), parts.legend, parts.note)), parts.result);
  }

  function draw() {
    const t = layer();
    let out = null, problem = "";
    try {
      out = arithmetic.convTransposeOutputSize(t.size, t.kernel, t.stride, t.padding, 1, t.outputPadding);
    } catch (error) {
      if (!(error instanceof arithmetic.Refusal)) throw error;
      problem = error.message;
    }
    if (problem) {
      parts.formula.replaceChildren(el("p", {class: "note error"}, "✗ ", problem));
      parts.metric.replaceChildren();
      parts.consequence.textContent = "";
      parts.result.textContent = `No output: ${problem}`;
    } else {
      parts.formula.replaceChildren(...transposedFormula(t, out));
      parts.metric.replaceChildren(el("div", {class: "metric", title: "Keras's Conv2DTranspose output size."},
        el("span", {class: "metric-label"}, "Transposed output"), el("span", {class: "metric-value"}, `${out}×${out}`)));
      parts.consequence.replaceChildren(...rich(consequence(t, out)));
      parts.result.textContent = `Transposed output ${out}×${out}.`;
    }
    drawStamps(t, out, problem);
    widgets.markDrawn(root);
  }

  function drawStamps(t, out, problem) {
    let patches = null;
    if (!problem) {
      try {
        patches = arithmetic.transposedPatches(t.size, t.kernel, t.stride, t.padding, t.outputPadding);
      } catch (error) {
        if (!(error instanceof arithmetic.Refusal)) throw error;
        parts.refused.textContent = `⚠ ${error.message}`;
      }
    }
    parts.refused.hidden = patches !== null || Boolean(problem);
    const visible = patches !== null;
    for (const node of [parts.sentence, parts.figure.canvas, parts.legend, parts.note]) node.hidden = !visible;
    controls.pixel.root.hidden = !visible || t.size <= 1;
    if (!visible) return;
    state.pixel = Math.min(state.pixel, t.size * t.size - 1);
    controls.pixel.setMax(t.size * t.size - 1);
    const row = Math.floor(state.pixel / t.size), col = state.pixel % t.size;
    parts.sentence.replaceChildren(...rich(pixelSentence(row, col, patches[row], patches[col], t.kernel, t.stride)));
    const coverage = arithmetic.transposedCoverage(t.size, t.kernel, t.stride, t.padding, t.outputPadding);
    const width = Math.max(240, Math.min(widgets.widthOf(parts.figure.canvas.parentElement) || 320, 420));
    const cell = Math.max(6, Math.min(28, Math.floor((width - 10) / out)));
    const inputTop = 22, outputTop = inputTop + t.size * cell + 40;
    parts.at = {cell, inputTop, size: t.size};
    const ctx = parts.figure.ctx(Math.max(out, t.size) * cell + 10, outputTop + out * cell + 8);
    const theme = widgets.themeColours(root);
    const colours = data.colours;
    widgets.drawCells(ctx, {
      x: 1, y: inputTop, n: t.size, cell, font: theme.font,
      fill: (r, c) => (r * t.size + c === state.pixel ? colours.window : colours.pixel),
    });
    const top = Math.max(1, ...coverage.flat());
    widgets.drawCells(ctx, {
      x: 1, y: outputTop, n: out, cell, font: theme.font,
      fill: (r, c) => widgets.ramp([[0, colours.cover[0]], [1, colours.cover[1]]], coverage[r][c] / top),
      label: (r, c) => String(coverage[r][c]),
    });
    const stamp = (r, c) => [patches[r][0], patches[c][0], patches[r].length, patches[c].length];
    const neighbour = col + 1 < t.size ? [row, col + 1] : row + 1 < t.size ? [row + 1, col] : null;
    if (neighbour) {
      widgets.outline(ctx, {x: 1, y: outputTop, cell, box: stamp(...neighbour), colour: colours.stamp, width: 2, dash: [4, 3]});
    }
    widgets.outline(ctx, {x: 1, y: outputTop, cell, box: stamp(row, col), colour: colours.window, width: 3});
    ctx.fillStyle = theme.text;
    ctx.font = `bold 13px ${theme.font}`;
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    ctx.fillText(`Input ${t.size}×${t.size}: pixel (row ${row}, column ${col})`, 1, inputTop - 8);
    ctx.fillText(`Output ${out}×${out}: stamps covering each pixel`, 1, outputTop - 8);
    const counts = [...new Set(coverage.flat())].sort((a, b) => a - b);
    parts.figure.setLabel(`Transposed convolution, ${t.size}×${t.size} input to ${out}×${out} output, kernel ${t.kernel}, ` +
      `stride ${t.stride}, padding ${t.padding}. Input pixel (row ${row}, column ${col}) adds its kernel to output rows ` +
      `${patches[row][0]} to ${patches[row][patches[row].length - 1]}, columns ${patches[col][0]} to ` +
      `${patches[col][patches[col].length - 1]}. Output pixels are covered by ${counts.join(", ")} stamps.`);
    parts.legend.replaceChildren(widgets.legend([["this pixel and its stamp", colours.window, "ring"],
      ["the next pixel's stamp", colours.stamp, "dashed"],
      ...counts.map((n) => [`${n} ${widgets.plural(n, "stamp")}`,
        widgets.ramp([[0, colours.cover[0]], [1, colours.cover[1]]], n / top)])]));
    parts.note.replaceChildren(...rich(overlapNote(t.kernel, t.stride, coverage)));
  }

  function clickPixel(event) {
    if (!parts.at) return;
    const {cell, inputTop, size} = parts.at;
    const hit = widgets.cellAt(event, parts.figure.canvas, {x: 1, y: inputTop, n: size, cell});
    if (!hit) return;
    state.pixel = hit[0] * size + hit[1];
    controls.pixel.set(state.pixel);
    changed();
  }

  return {
    update({data: next}) {
      data = next;
      apply(next);
    },
    destroy() {
      settle.cancel();
      stopWatching();
    },
  };
}

export default function (component) {
  return widgets.mount(component.parentElement, makeTransposed, component);
}
