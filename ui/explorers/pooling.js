// The Pooling explorer: max or average, pool size F, stride, padding and the grid; every window
// outlined with its winner; the pooled grid; a real image before and after. Computed and drawn
// here (arithmetic.js); the settled settings go back to Python (the link, the Keras line, and the
// random numbers of a new seed). Python's data: app_pages/pooling.py, explorer_data.

const {math} = widgets;
const {i: mi, n: mn, o: mo, fenced, result} = widgets.mml;

/** The output size worked out with the learner's numbers (⌈I / S⌉ for 'same'). */
function poolFormula(p, out) {
  if (p.padding === "same") {
    return math(`${mi("O")}${mo("=")}${fenced("⌈", "⌉", mi("I"), mi("S"))}${mo("=")}` +
      `${fenced("⌈", "⌉", mn(p.size), mn(p.stride))}${mo("=")}${result(out)}`);
  }
  return math(`${mi("O")}${mo("=")}${fenced("⌊", "⌋", `${mi("I")}${mo("−")}${mi("F")}`, mi("S"))}${mo("+")}${mn(1)}` +
    `${mo("=")}${fenced("⌊", "⌋", `${mn(p.size)}${mo("−")}${mn(p.pool)}`, mn(p.stride))}${mo("+")}${mn(1)}` +
    `${mo("=")}${result(out)}`);
}

/** The formula for a 'valid' window that does not fit: it ends below 1. */
function poolNoOutput(p) {
  return math(`${mi("O")}${mo("=")}${fenced("⌊", "⌋", `${mn(p.size)}${mo("−")}${mn(p.pool)}`, mn(p.stride))}` +
    `${mo("+")}${mn(1)}${mo("=")}${mn(Math.floor((p.size - p.pool) / p.stride) + 1)}`);
}

/** The notes under the formula: the floor's dropped rows, 'same''s split, overlap or skipping. */
function poolNotes(p) {
  const {plural} = widgets;
  const notes = [];
  if (p.padding === "valid") {
    const dropped = (p.size - p.pool) % p.stride;
    if (dropped) {
      notes.push(`${p.size - p.pool} / ${p.stride} is not whole: the floor drops the last ${dropped} ` +
        `${plural(dropped, "row")} and ${plural(dropped, "column")}, which no window reaches.`);
    }
  } else {
    const [before, after] = arithmetic.samePadding(p.size, p.pool, p.stride);
    if (before + after) {
      notes.push((before === after
        ? `'Same' adds ${before} on each side (the total, ${before + after}, splits evenly).`
        : `'Same' adds ${before} before and ${after} after: the total, ${before + after}, is odd, so the extra one ` +
          "goes after (bottom and right).") +
        " The padding is not a number: it never wins a max and is not counted in a mean.");
    }
  }
  if (p.stride < p.pool) {
    notes.push("The stride is smaller than the pool: windows **overlap**, so one number can win several windows.");
  } else if (p.stride > p.pool) {
    notes.push("The stride is larger than the pool: the numbers between windows are **skipped** entirely. " +
      "Keras allows it (tf.nn.pool refuses it).");
  }
  return notes;
}

/** The text of each pooled cell: max keeps whole numbers; a mean one decimal on 0–9, none on 0–255. */
function poolLabels(values, mode) {
  const big = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0) >= 100;
  const digits = mode === "max" || big ? 0 : 1;
  return Array.from(values, (v) => widgets.formatF(v, digits));
}

/** The font size (px) at which the longest label fits a cell, or null: then no numbers are drawn. */
function cellFont(labels, cell) {
  const chars = Math.max(1, ...labels.map((l) => l.length));
  const size = Math.min(12, Math.floor((cell - 4) / (0.6 * chars)));
  return size >= 8 ? size : null;
}

function makePooling(parent, {setStateValue}) {
  const {el, rich, formatF} = widgets;
  const root = el("section", {class: "explorer", "data-explorer": "pooling"});
  parent.append(root);
  const state = {};
  let data = null, images = {}, controls = {}, parts = {};
  const settle = widgets.settler(setStateValue, null);
  const stopWatching = widgets.onWidthChange(root, () => data && drawAll());

  const param = {
    mode: "pool_mode", pool: "pool_size", kerasStride: "pool_keras_stride", stride: "pool_stride",
    padding: "pool_padding", grid: "pool_grid", source: "pool_source", seed: "pool_seed", window: "pool_window",
    dataset: "pool_dataset", cls: "pool_class", example: "pool_example",
  };
  const settings = () => widgets.settingsOf(state, param);
  const apply = widgets.updater({root, state, param, settle, build: () => build(), draw: drawAll});
  const shown = (key) => !data.hidden.includes(param[key]);
  const pooling = () => ({
    mode: state.mode, pool: state.pool, stride: state.kerasStride ? state.pool : state.stride,
    padding: state.padding, size: state.grid,
  });

  function changed() {
    settle.settle(settings());
    drawAll();
  }

  function slider(key, extra = {}) {
    return widgets.settingControl({data, state, param, controls, key, changed, extra});
  }

  function radios(key, options, inline = true) {
    controls[key] = widgets.radioGroup({
      label: data.labels[param[key]], options, value: state[key], name: param[key], inline,
      onChange: (v) => {
        state[key] = v;
        if (key === "dataset") rebuildClassOptions();
        changed();
      },
    });
    return shown(key) ? controls[key].root : null;
  }

  function build() {
    root.replaceChildren();
    controls = {};
    parts = {};
    controls.kerasStride = widgets.checkboxControl({
      label: data.labels.pool_keras_stride, value: state.kerasStride, name: "pool_keras_stride",
      help: "MaxPooling2D((2, 2)) moves 2 pixels at a time unless you pass strides.",
      onChange: (v) => {
        state.kerasStride = v;
        changed();
      },
    });
    root.append(el("div", {class: "card controls-row"},
      el("div", {class: "control-stack"}, radios("mode", data.modes), radios("padding", data.paddings.map((v) => [v, v]))),
      slider("pool"),
      el("div", {class: "control-stack"}, shown("kerasStride") ? controls.kerasStride.root : null, slider("stride")),
      el("div", {class: "control-stack"}, slider("grid"), radios("source", data.sources, false))));

    parts.formula = el("div", {class: "formula"});
    parts.metrics = el("div", {class: "metrics"});
    parts.caption = el("p", {class: "caption"});
    parts.notes = el("div", {class: "notes"});
    parts.code = el("div");
    parts.result = el("p", {class: "visually-hidden", "aria-live": "polite"});
    parts.sentence = el("p", {class: "window-sentence"});
    parts.figure = widgets.figure("");
    parts.figure.canvas.addEventListener("click", clickWindow);
    parts.figure.canvas.addEventListener("mousemove", hover);
    parts.figureNotes = el("p", {class: "caption"});
    parts.hover = el("p", {class: "caption hover", "aria-hidden": "true"}, " ");
    parts.pending = el("p", {class: "caption", hidden: true});
    controls.window = widgets.numberControl({
      label: `${data.labels.pool_window} (reading order)`, min: 0, max: 0, value: state.window, exact: data.exact,
      name: "pool_window",
      onInput: (v) => {
        state.window = v;
        changed();
      },
    });
    const seed = slider("seed", {exact: true});
    root.append(el("div", {class: "columns pooling"},
      el("div", {}, el("h3", {}, "How big is the output?"), parts.formula, parts.metrics, parts.caption, parts.notes),
      el("div", {}, el("h3", {}, "Every window, and what it keeps"),
        shown("window") ? controls.window.root : null, parts.sentence, parts.pending,
        el("div", {class: "figure-scroll"}, parts.figure.canvas), parts.hover, parts.figureNotes,
        el("div", {class: "seed", hidden: state.source !== "random"}, seed))), parts.result);
    parts.seedBox = root.querySelector(".seed");

    root.append(el("h3", {}, "A real image, before and after"));
    controls.cls = widgets.selectControl({
      label: data.labels.pool_class, name: "pool_class", options: classOptions(), value: state.cls,
      onChange: (v) => {
        state.cls = v;
        changed();
      },
    });
    root.append(el("div", {class: "controls-row"},
      radios("dataset", data.datasets.map((d) => [d.name, d.title])), shown("cls") ? controls.cls.root : null,
      slider("example")));
    parts.missing = el("p", {class: "note warning", hidden: true});
    parts.beforeTitle = el("p", {class: "figure-title"});
    parts.afterTitle = el("p", {class: "figure-title"});
    parts.before = widgets.figure("");
    parts.after = widgets.figure("");
    parts.shrink = el("p");
    root.append(parts.missing, el("div", {class: "feature-row"},
      el("figure", {}, parts.beforeTitle, parts.before.canvas), el("figure", {}, parts.afterTitle, parts.after.canvas)),
    parts.shrink);
  }

  function classOptions() {
    return data.datasets.find((d) => d.name === state.dataset).classes.map((name, i) => [i, name]);
  }

  function rebuildClassOptions() {
    controls.cls.select.replaceChildren(...classOptions().map(([v, text]) => el("option", {value: String(v)}, text)));
    controls.cls.select.value = String(state.cls);
  }

  const picked = () => widgets.pickedImage(images, data.datasets, state.dataset, state.cls, state.example);

  /** The numbers to pool: the picked image shrunk to the grid and rounded, or the seed's digits. */
  function gridValues(size) {
    const image = picked();
    if (state.source === "digit" && !images[state.dataset]) return null; // still decoding the images
    if (state.source === "digit" && image) {
      const shrunk = arithmetic.downsample(Float64Array.from(image), data.image_size, size);
      return Float64Array.from(shrunk, arithmetic.roundHalfEven);
    }
    if (data.numbers.seed !== state.seed) return null; // Python draws a new seed's numbers
    return Float64Array.from(data.numbers.values.slice(0, size * size));
  }

  // --- drawing ------------------------------------------------------------------------------

  function drawAll() {
    const p = pooling();
    controls.stride.setDisabled(state.kerasStride);
    if (state.kerasStride) {
      state.stride = state.pool; // show the stride in use
      controls.stride.set(state.pool);
    }
    parts.seedBox.hidden = state.source !== "random";
    let out = 0, problem = "";
    try {
      out = arithmetic.poolOutputSize(p.size, p.pool, p.stride, p.padding);
    } catch (error) {
      if (!(error instanceof arithmetic.Refusal)) throw error;
      problem = error.message;
    }
    drawFormula(p, out, problem);
    drawGrid(p, out, problem);
    drawBeforeAfter(p);
    widgets.markDrawn(root);
  }

  function metric(label, value, help) {
    return el("div", {class: "metric", title: help || null},
      el("span", {class: "metric-label"}, label), el("span", {class: "metric-value"}, value));
  }

  function drawFormula(p, out, problem) {
    if (problem) {
      parts.formula.replaceChildren(el("p", {class: "note error"}, "✗ ", problem), poolNoOutput(p),
        el("p", {}, "No window fits inside the grid, so there is no output. 'Same' padding always gives at least one."));
      parts.metrics.replaceChildren();
      parts.caption.textContent = "";
      parts.notes.replaceChildren();
      parts.result.textContent = `No output: ${problem}`;
      return;
    }
    parts.formula.replaceChildren(poolFormula(p, out));
    parts.metrics.replaceChildren(metric("Output", `${out}×${out}`),
      metric("Parameters", "0", "Pooling has nothing to learn: max and mean need no weights."),
      metric("Values out", String(out * out), "Numbers after pooling (the grid holds I² numbers)."));
    parts.caption.textContent = `${p.size}×${p.size} = ${p.size * p.size} values in, ${out}×${out} = ${out * out} out: ` +
      `${widgets.formatG((p.size * p.size) / (out * out), 3)}× fewer.`;
    parts.notes.replaceChildren(...poolNotes(p).map((n) => el("p", {class: "note info"}, ...rich(n))));
    parts.result.textContent = `Output ${out}×${out}, ${out * out} values, 0 parameters.`;
  }

  function layout(padded) {
    const width = Math.max(280, widgets.widthOf(parts.figure.canvas.parentElement) || 470);
    const margin = 26;
    const sideBySide = Math.floor((width - 2 * margin - 30) / (2 * padded));
    const stacked = sideBySide < 22;
    const cell = stacked ? Math.max(14, Math.min(48, Math.floor((width - margin - 8) / padded)))
      : Math.min(48, sideBySide);
    const side = padded * cell;
    const input = {x: margin, y: margin, n: padded, cell};
    const output = stacked ? {x: margin, y: margin + side + 40, cell} : {x: margin + side + 30, y: margin, cell};
    return {input, output, cell, w: stacked ? margin + side + 8 : output.x + side + 8,
      h: stacked ? output.y + side + 8 : margin + side + 8};
  }

  function drawGrid(p, out, problem) {
    const figureShown = !problem;
    parts.figure.canvas.hidden = !figureShown;
    controls.window.root.hidden = !figureShown || out * out <= 1;
    if (problem) {
      parts.sentence.textContent = "Fix the settings on the left to see the windows.";
      parts.figureNotes.textContent = "";
      parts.pending.hidden = true;
      return;
    }
    const values = gridValues(p.size);
    parts.pending.hidden = values !== null;
    if (values === null) {
      parts.figure.canvas.hidden = true;
      parts.pending.textContent = state.source === "digit" ? "Loading the test images…"
        : `Drawing the numbers of seed ${state.seed}…`;
      return;
    }
    const count = out * out;
    state.window = Math.min(state.window, count - 1);
    controls.window.setMax(count - 1);
    const pooled = arithmetic.pool2d(values, p.size, p.pool, p.stride, p.padding, p.mode);
    const windows = arithmetic.poolWindowPositions(p.size, p.pool, p.stride, p.padding);
    const selected = state.window;
    const row = Math.floor(selected / out), col = selected % out;
    const rows = windows[row], cols = windows[col];
    const members = [];
    for (const y of rows) for (const x of cols) members.push(values[y * p.size + x]);
    const result = pooled.values[selected];
    const listed = members.map((v) => widgets.formatG(v)).join(", ");
    const what = p.mode === "max" ? `max(${listed}) = **${widgets.formatG(result)}**`
      : `(${members.map((v) => widgets.formatG(v)).join(" + ")}) / ${members.length} = **${formatF(result, 2)}**`;
    parts.sentence.replaceChildren(...rich(`Window ${selected} covers rows ${rows[0]}–${rows[rows.length - 1]}, columns ` +
      `${cols[0]}–${cols[cols.length - 1]}: ${what}` +
      (members.length < p.pool * p.pool ? ` (only ${members.length} real numbers: the rest is padding)` : "")));

    const [before, after] = p.padding === "same" ? arithmetic.samePadding(p.size, p.pool, p.stride) : [0, 0];
    const padded = p.size + before + after;
    const at = layout(padded);
    parts.at = {at, before, size: p.size, values, pooled, out};
    const ctx = parts.figure.ctx(at.w, at.h);
    const theme = widgets.themeColours(root);
    const vmax = Math.max(...values, 1e-9);
    const inLabels = [];
    const labelOf = (r, c) => {
      const y = r - before, x = c - before;
      return y < 0 || x < 0 || y >= p.size || x >= p.size ? "pad" : formatF(values[y * p.size + x], 0);
    };
    for (let r = 0; r < padded; r++) for (let c = 0; c < padded; c++) inLabels.push(labelOf(r, c));
    const outLabels = poolLabels(pooled.values, p.mode);
    const font = cellFont([...inLabels, ...outLabels], at.cell);
    const shade = (v) => widgets.ramp(widgets.GREYS, v / vmax);
    widgets.drawCells(ctx, {
      ...at.input, font: theme.font, minLabelCell: font ? 0 : Infinity,
      fill: (r, c) => (labelOf(r, c) === "pad" ? "#fafafa" : shade(values[(r - before) * p.size + c - before])),
      label: (r, c) => labelOf(r, c),
    });
    widgets.axes(ctx, {...at.input, offset: before, colour: theme.text, font: theme.font});
    for (let w = 0; w < count; w++) {
      const r0 = Math.floor(w / out) * p.stride, c0 = (w % out) * p.stride;
      widgets.outline(ctx, {...at.input, box: [r0, c0, p.pool, p.pool], colour: data.colours.frame, width: 1.5});
    }
    if (p.mode === "max") {
      const winners = arithmetic.poolWinners(values, p.size, p.pool, p.stride, p.padding);
      winners.forEach(([y, x], w) => {
        ctx.beginPath();
        ctx.lineWidth = 2.5;
        ctx.strokeStyle = w === selected ? data.colours.window : data.colours.winner;
        ctx.arc(at.input.x + (x + before + 0.5) * at.cell, at.input.y + (y + before + 0.5) * at.cell, at.cell * 0.4, 0, 2 * Math.PI);
        ctx.stroke();
      });
    }
    widgets.outline(ctx, {...at.input, box: [row * p.stride, col * p.stride, p.pool, p.pool], colour: data.colours.window, width: 4});
    widgets.drawCells(ctx, {
      ...at.output, n: out, font: theme.font, minLabelCell: font ? 0 : Infinity,
      fill: (r, c) => shade(pooled.values[r * out + c]),
      label: (r, c) => outLabels[r * out + c],
    });
    widgets.outline(ctx, {...at.output, box: [row, col, 1, 1], colour: data.colours.window, width: 4});
    ctx.fillStyle = theme.text;
    ctx.font = `bold 13px ${theme.font}`;
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    ctx.fillText(`Input ${p.size}×${p.size}${padded !== p.size ? ` + padding ${before}/${after}` : ""}`, at.input.x, at.input.y - 14);
    ctx.fillText(`${p.mode[0].toUpperCase()}${p.mode.slice(1)} pooled ${out}×${out}`, at.output.x, at.output.y - 14);
    parts.figure.setLabel(`A ${p.size}×${p.size} grid of numbers with ${count} ${p.pool}×${p.pool} windows (stride ` +
      `${p.stride}, padding ${p.padding}) outlined, beside the ${out}×${out} ${p.mode}-pooled grid; window ${selected + 1} ` +
      `(row ${row}, column ${col}) keeps ${poolLabels([result], p.mode)[0]}.`);
    const notes = [];
    if (p.mode === "max") notes.push("Rings mark each window's winner (vermillion: the selected window's). Grey outlines are the other windows.");
    if (!font) notes.push("The cells are too small for their numbers: hover a cell to read it.");
    else if (p.mode === "average" && Math.max(...pooled.values.map(Math.abs)) >= 100) {
      notes.push("Means of 0–255 values are rounded to whole numbers in the cells; hover a cell for the exact value.");
    }
    parts.figureNotes.textContent = notes.join(" ");
  }

  function hover(event) {
    if (!parts.at) return;
    const {at, before, size, values, pooled, out} = parts.at;
    const input = widgets.cellAt(event, parts.figure.canvas, at.input);
    const output = widgets.cellAt(event, parts.figure.canvas, {...at.output, n: out});
    if (input) {
      const [y, x] = input.map((i) => i - before);
      parts.hover.textContent = y < 0 || x < 0 || y >= size || x >= size ? `Row ${y}, column ${x}: padding.`
        : `Row ${y}, column ${x}: ${widgets.formatG(values[y * size + x])}.`;
    } else if (output) {
      parts.hover.textContent = `Pooled row ${output[0]}, column ${output[1]}: ` +
        `${widgets.formatG(pooled.values[output[0] * out + output[1]], 4)} (click to select its window).`;
    }
  }

  function clickWindow(event) {
    if (!parts.at) return;
    const {at, out} = parts.at;
    const cell = widgets.cellAt(event, parts.figure.canvas, {...at.output, n: out});
    if (!cell) return;
    state.window = cell[0] * out + cell[1];
    controls.window.set(state.window);
    changed();
  }

  function drawBeforeAfter(p) {
    const info = data.datasets.find((d) => d.name === state.dataset);
    const className = info.classes[state.cls];
    const image = picked();
    parts.missing.hidden = image !== null || !images[state.dataset];
    parts.missing.textContent = "This dataset has no test image of that class.";
    if (!image) {
      parts.before.canvas.hidden = parts.after.canvas.hidden = true;
      return;
    }
    const n = data.image_size;
    const after = arithmetic.pool2d(Float64Array.from(image), n, p.pool, p.stride, p.padding, p.mode);
    const o = after.size;
    parts.beforeTitle.textContent = `Before (“${className}”): ${n}×${n}×1`;
    parts.afterTitle.textContent = `After ${p.mode} pooling: ${o}×${o}×1`;
    drawImage(parts.before, image, n);
    drawImage(parts.after, after.values, o);
    const range = (values) => [Math.min(...values), Math.max(...values)];
    const [lo1, hi1] = range(image), [lo2, hi2] = range(after.values);
    parts.before.setLabel(`Before pooling, a ${className}: a ${n}×${n} heat map, white at 0, darker for larger ` +
      `values; values from ${widgets.formatG(lo1, 3)} to ${widgets.formatG(hi1, 3)}.`);
    parts.after.setLabel(`After ${p.mode} pooling: a ${o}×${o} heat map, white at 0, darker for larger values; ` +
      `values from ${widgets.formatG(lo2, 3)} to ${widgets.formatG(hi2, 3)}.`);
    parts.shrink.replaceChildren(...rich(shrinkSentence(n, o, p.mode)));
  }

  function drawImage(fig, values, side) {
    const top = Math.max(...values) || 1;
    widgets.drawMap(fig, {values, side, cell: widgets.imageCell(root, data.image_size),
      colour: (v) => widgets.rampRGB(widgets.GREYS, v / top), border: widgets.themeColours(root).border});
  }

  return {
    update({data: next}) {
      data = next;
      apply(next);
      widgets.loadImages(images, next.datasets, next.image_size, drawAll);
    },
    destroy() {
      settle.cancel();
      stopWatching();
    },
  };
}

/** What pooling did to an n×n image that became o×o, and how each mode looks (formulas' wording). */
function shrinkSentence(size, out, mode) {
  const {formatG} = widgets;
  let howMuch;
  if (out >= size) {
    howMuch = `Shape (${size}, ${size}, 1) → (${out}, ${out}, 1): **no shrinking at all** with stride 1 and 'same' ` +
      `padding; the pooling only ${mode === "max" ? "thickens the strokes" : "blurs the image"}, with **0 parameters**. `;
  } else {
    const shrink = (size * size) / (out * out);
    howMuch = `Shape (${size}, ${size}, 1) → (${out}, ${out}, 1): ${(size * size).toLocaleString("en")} values become ` +
      `${(out * out).toLocaleString("en")}, **${formatG(shrink, 3)}× fewer** (${widgets.formatF(100 * (1 - 1 / shrink), 0)}% ` +
      "less data), with **0 parameters**. ";
  }
  return howMuch + (mode === "max" ? "Max pooling keeps the strongest ink of each window, so strokes survive. "
    : "Average pooling blurs: thin strokes fade into grey. ") +
    "In the tutorial, the first 2×2 pooling turns 28×28×24 = 18,816 values into 14×14×24 = 4,704: 4× fewer, channel by channel.";
}

export default function (component) {
  return widgets.mount(component.parentElement, makePooling, component);
}
