// The Convolution explorer: I, K, S, padding and D; formula (1.1) with the learner's numbers; the
// window sliding over the padded input; a real feature map. Every step is computed and drawn here
// (arithmetic.js); the settled settings go back to Python (widgets.settler) for the address bar,
// the share link and the Keras line. Python's data: see ui/explorers/__init__.py, convolution_data.

const {math} = widgets;
const {i: mi, n: mn, o: mo, sub} = widgets.mml;
const floorFrac = (top, bottom) => widgets.mml.fenced("⌊", "⌋", top, bottom);
const CLASS_PARAM = "conv_class";

/** Formula (1.1): its general form, then the learner's numbers worked out to O. */
function formulaMath(a) {
  const k = a.dilation > 1 ? sub("K", "eff") : mi("K");
  const general = a.symmetric
    ? `${mi("I")}${mo("−")}${k}${mo("+")}${mn(2)}${mi("P")}`
    : `${mi("I")}${mo("−")}${k}${mo("+")}${sub("P", "before")}${mo("+")}${sub("P", "after")}`;
  const numbers = a.symmetric
    ? `${mn(a.size)}${mo("−")}${mn(a.kEff)}${mo("+")}${mn(2)}${mo("·")}${mn(a.padBefore)}`
    : `${mn(a.size)}${mo("−")}${mn(a.kEff)}${mo("+")}${mn(a.padBefore)}${mo("+")}${mn(a.padAfter)}`;
  let steps = `${mo("=")}${floorFrac(numbers, mn(a.stride))}${mo("+")}${mn(1)}`;
  if (!a.exact) {
    steps += `${mo("=")}<mrow>${mo("⌊")}${mn(widgets.formatG(a.numerator / a.stride, 4))}${mo("⌋")}</mrow>${mo("+")}${mn(1)}`;
  }
  steps += `${mo("=")}${mn(Math.floor(a.numerator / a.stride))}${mo("+")}${mn(1)}${mo("=")}${widgets.mml.result(a.output)}`;
  return [math(`${mi("O")}${mo("=")}${floorFrac(general, mi("S"))}${mo("+")}${mn(1)}`),
    math(`<mrow>${steps}</mrow>`)];
}

/** Why settings give no output: formula (1.1) ending below 1, and what to do. */
function noOutput(s) {
  if (s.stride > 1 && s.dilation > 1) {
    return [null, "Keras refuses this combination outright (tf.nn.conv2d alone would accept it, but the " +
      "Conv2D layer you write in a model does not). Set the stride or the dilation back to 1."];
  }
  const [before, after] = arithmetic.paddingAmounts(s.size, s.kernel, s.stride, s.padding, s.dilation);
  const kEff = arithmetic.effectiveKernelSize(s.kernel, s.dilation);
  const numerator = s.size + before + after - kEff;
  const out = Math.floor(numerator / s.stride) + 1;
  const top = `${mn(s.size)}${mo("+")}${mn(before)}${mo("+")}${mn(after)}${mo("−")}${mn(kEff)}`;
  const formula = math(`${mi("O")}${mo("=")}${floorFrac(top, mn(s.stride))}${mo("+")}${mn(1)}` +
    `${mo("=")}${floorFrac(mn(numerator), mn(s.stride))}${mo("+")}${mn(1)}${mo("=")}${mn(out)}`);
  return [formula, `A size of ${out} means **no output at all**: there is no position where the whole ` +
    `${kEff}-pixel-wide kernel fits. Use a smaller kernel or dilation, add padding, or choose 'same'.`];
}

/** The notes beside the formula: the floor (or its absence), dilation, 'same', explicit padding. */
function notes(s, a) {
  const {el, rich, formatG, plural} = widgets;
  const out = [];
  if (a) {
    if (a.exact) {
      out.push(el("p", {class: "note success"}, "✓ ", `The division is exact (${a.numerator} / ${a.stride} = ` +
        `${a.numerator / a.stride}): the last window ends on the last ${a.sameTotal ? "padded " : ""}pixel.`));
    } else {
      const parts = [];
      if (a.uncoveredReal) parts.push(`${a.uncoveredReal} real ${plural(a.uncoveredReal, "pixel")}`);
      if (a.uncoveredPadding) parts.push(`${a.uncoveredPadding} padding ${plural(a.uncoveredPadding, "zero")}`);
      const last = a.remainder === 1 ? "column is" : `${a.remainder} columns are`;
      out.push(el("p", {class: "note warning"}, ...rich(
        `⚠ **The floor matters here.** ${a.numerator} / ${a.stride} = ${formatG(a.numerator / a.stride, 4)} is ` +
        "not a whole number of steps, and there is no half window: the formula rounds down. So " +
        `**the last ${last} never covered** (and the last ${a.remainder === 1 ? "row" : "rows"} too): ` +
        `${parts.join(" and ")}, drawn purple in the grid. The tutorial's formula forgets this floor.`)));
    }
  }
  if (s.dilation > 1) {
    const kEff = arithmetic.effectiveKernelSize(s.kernel, s.dilation);
    out.push(el("p", {class: "note"}, ...rich(`**Dilation** spreads the ${s.kernel}×${s.kernel} weights ` +
      `${s.dilation} pixels apart: `),
    math(`${sub("K", "eff")}${mo("=")}${mi("K")}${mo("+")}<mrow>${mo("(")}${mi("K")}${mo("−")}${mn(1)}${mo(")")}` +
      `${mo("(")}${mi("D")}${mo("−")}${mn(1)}${mo(")")}</mrow>${mo("=")}${mn(s.kernel)}${mo("+")}${mn(s.kernel - 1)}` +
      `${mo("·")}${mn(s.dilation - 1)}${mo("=")}${mn(kEff)}`, "inline"),
    `. The kernel still has ${s.kernel * s.kernel} weights but sees a ${kEff}×${kEff} patch (sky-blue cells are skipped).`));
  }
  if (s.mode === "same" && a) {
    const target = Math.ceil(a.size / a.stride);
    out.push(el("p", {class: "note"}, ...rich("**'same'** asks for "),
      math(`${mi("O")}${mo("=")}<mrow>${mo("⌈")}${mi("I")}${mo("/")}${mi("S")}${mo("⌉")}</mrow>${mo("=")}` +
        `<mrow>${mo("⌈")}${mn(a.size)}${mo("/")}${mn(a.stride)}${mo("⌉")}</mrow>${mo("=")}${mn(target)}`, "inline"),
      ". That needs ",
      math(`${sub("P", "total")}${mo("=")}<mi>max</mi><mrow>${mo("(")}${mo("(")}${mi("O")}${mo("−")}${mn(1)}${mo(")")}` +
        `${mi("S")}${mo("+")}${sub("K", "eff")}${mo("−")}${mi("I")}${mo(",")}${mn(0)}${mo(")")}</mrow>${mo("=")}` +
        `<mi>max</mi><mrow>${mo("(")}${mn(target - 1)}${mo("·")}${mn(a.stride)}${mo("+")}${mn(a.kEff)}${mo("−")}` +
        `${mn(a.size)}${mo(",")}${mn(0)}${mo(")")}</mrow>${mo("=")}${mn(a.sameTotal)}`, "inline"),
      ` zeros, split ${a.padBefore} before and ${a.padAfter} after.` +
      (a.symmetric ? "" : " The total is odd, so the split is asymmetric: TensorFlow puts the extra zero " +
        "after the image (bottom and right).") +
      (a.stride > 1 ? " 'Same' keeps the size only at stride 1." : "")));
  }
  if (s.mode === "explicit") {
    out.push(el("p", {class: "note caption"}, "Keras's Conv2D has no numeric padding: write ZeroPadding2D(P) " +
      "followed by Conv2D(..., padding='valid')."));
  }
  return out;
}

/** Which input rows and columns output cell (row, col) sums over, in a sentence. */
function windowSentence(a, row, col, rows, cols) {
  const {ordinal, plural} = widgets;
  const every = a.dilation > 1 ? ` (every ${ordinal(a.dilation)})` : "";
  return `Output cell **(row ${row}, column ${col})** is the sum of the ${a.kernel * a.kernel} weights times ` +
    `input rows ${rows[0]}…${rows[rows.length - 1]}${every} and columns ${cols[0]}…${cols[cols.length - 1]}${every}` +
    (a.sameTotal ? `: negative indices, and indices from ${a.size} on, are padding zeros.` : ".") +
    ` The window starts ${a.stride} ${plural(a.stride, "pixel")} further right at each step, and drops down by ` +
    "the stride at the end of a row.";
}

/** The text alternative of the window picture. */
function windowDescription(a, step) {
  const row = Math.floor(step / a.output), col = step % a.output;
  const top = row * a.stride - a.padBefore, left = col * a.stride - a.padBefore;
  const span = a.kEff;
  return `The ${a.padded}×${a.padded} padded input (${a.size}×${a.size} image, ${a.padBefore} padding before) ` +
    `with the ${a.kernel}×${a.kernel} window${a.dilation > 1 ? ` (dilation ${a.dilation}, spanning ${span})` : ""} ` +
    `at rows ${top} to ${top + span - 1}, columns ${left} to ${left + span - 1}, beside the ${a.output}×${a.output} ` +
    `output with cell (row ${row}, column ${col}) marked: window ${step + 1} of ${a.output * a.output}.`;
}

/** The role of every padded-input cell at this step (figures.convolution.conv_window_chart's). */
function inputRoles(a, step) {
  const n = a.padded;
  const roles = Array.from({length: n}, () => new Array(n));
  const reach = n - a.remainder;
  const real = (i) => i >= a.padBefore && i < a.padBefore + a.size;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      roles[r][c] = r >= reach || c >= reach ? "never reached" : real(r) && real(c) ? "image pixel" : "padding zero";
    }
  }
  const row = Math.floor(step / a.output), col = step % a.output;
  const top = row * a.stride, left = col * a.stride;
  for (let r = top; r < top + a.kEff; r++) for (let c = left; c < left + a.kEff; c++) roles[r][c] = "skipped by dilation";
  for (let i = 0; i < a.kernel; i++) {
    for (let j = 0; j < a.kernel; j++) roles[top + i * a.dilation][left + j * a.dilation] = "read by the kernel";
  }
  return roles;
}

/** Where a value sits on its ramp: a signed one blue below zero, white at zero, red above; an
 * unsigned one white (0) to black. [stops, t] for widgets.ramp / rampRGB. */
function heat(value, bound, signed) {
  return signed ? [widgets.DIVERGING, 0.5 + value / (2 * bound)] : [widgets.GREYS, value / bound];
}

function makeConvolution(parent, {setStateValue}) {
  const {el, rich} = widgets;
  const root = el("section", {class: "explorer", "data-explorer": "convolution"});
  parent.append(root);
  const state = {};
  let data = null, images = {}, controls = {}, parts = {}, playing = null;
  const settle = widgets.settler(setStateValue, null);
  const stopWatching = widgets.onWidthChange(root, () => data && drawAll(false));

  const param = {
    size: "conv_size", kernel: "conv_kernel", stride: "conv_stride", mode: "conv_padding_mode",
    pad: "conv_pad", dilation: "conv_dilation", step: "conv_step", filter: "conv_filter",
    dataset: "conv_dataset", cls: CLASS_PARAM, example: "conv_example",
  };
  const settings = () => widgets.settingsOf(state, param);
  const apply = widgets.updater({root, state, param, settle, build: () => build(), draw: () => drawAll(false)});
  const conv = () => ({
    size: state.size, kernel: state.kernel, stride: state.stride, dilation: state.dilation, mode: state.mode,
    padding: state.mode === "explicit" ? state.pad : state.mode,
  });
  const shown = (key) => !data.hidden.includes(key);

  function changed(drawWindowOnly = false) {
    settle.settle(settings());
    drawAll(drawWindowOnly);
  }

  function control(key) {
    return widgets.settingControl({data, state, param, controls, key, changed: (k) => changed(k === "step")});
  }

  function build() {
    stop();
    root.replaceChildren();
    controls = {};
    parts = {};
    const mode = widgets.radioGroup({
      label: data.labels.conv_padding_mode, options: data.padding_labels, value: state.mode, name: "conv_padding_mode",
      onChange: (v) => {
        state.mode = v;
        changed();
      },
    });
    controls.mode = mode;
    root.append(el("div", {class: "card controls-row"},
      control("size"), control("kernel"), control("stride"),
      shown("conv_padding_mode") ? mode.root : null, control("pad"), control("dilation")));

    parts.formula = el("div", {class: "formula"});
    parts.metrics = el("div", {class: "metrics"});
    parts.result = el("p", {class: "visually-hidden", "aria-live": "polite"});
    parts.notes = el("div", {class: "notes"});
    root.append(el("h3", {}, "Formula (1.1), with your numbers"),
      el("div", {class: "columns"}, el("div", {}, parts.formula, parts.metrics), parts.notes), parts.result);

    root.append(el("h3", {}, "Watch the window slide"));
    parts.window = el("div", {class: "window-part"});
    root.append(parts.window);
    buildWindowControls();

    root.append(el("h3", {}, "A real feature map"),
      el("p", {}, "Pick an image and a kernel: the output is what ", el("strong", {}, "one filter"),
        " of a Conv2D layer computes (no bias, no activation), with the kernel size, stride, padding and " +
        `dilation set above. The image is always ${data.image_size}×${data.image_size}, whatever the input-size ` +
        "slider says."));
    buildFeatureMap();
  }

  function buildWindowControls() {
    const motion = !widgets.reducedMotion();
    parts.play = el("button", {type: "button", class: "primary", "aria-pressed": "false", onclick: togglePlay},
      "▶ Play: slide the window");
    const speed = widgets.selectControl({
      label: "Play speed (windows per second)", name: "conv_speed",
      options: data.play_speeds.map((v) => [v, String(v)]), value: state.speed,
      onChange: (v) => {
        state.speed = v;
        if (playing) {
          stop();
          togglePlay();
        }
      },
    });
    const back = el("button", {type: "button", onclick: () => stepBy(-1)}, "◂ Previous window");
    const next = el("button", {type: "button", onclick: () => stepBy(1)}, "Next window ▸");
    parts.jump = el("button", {type: "button", onclick: jumpToRowEnd,
      title: "The last window of this row; pressed again, of the next row."}, "Jump to the end of the row ⇥");
    const row = el("div", {class: "button-row"}, motion ? parts.play : null, motion ? speed.root : null, back, next, parts.jump);
    parts.motionNote = motion ? null : el("p", {class: "caption"},
      "Play is off because your device asks for reduced motion: step with Previous and Next window.");
    controls.step = widgets.numberControl({
      label: "Window position (output cell number, in reading order)", min: 0, max: 0, value: state.step,
      exact: data.exact, name: "conv_step",
      onInput: (v) => {
        state.step = v;
        changed(true);
      },
    });
    parts.sentence = el("p", {class: "window-sentence"});
    parts.windowFigure = widgets.figure("");
    parts.windowFigure.canvas.addEventListener("click", clickOutput);
    parts.windowFigure.canvas.addEventListener("mousemove", hoverWindow);
    parts.legend = el("div");
    parts.hover = el("p", {class: "caption hover", "aria-hidden": "true"}, " ");
    parts.window.append(row, parts.motionNote || "", shown("conv_step") ? controls.step.root : "", parts.sentence,
      el("div", {class: "figure-scroll"}, parts.windowFigure.canvas), parts.hover, parts.legend);
  }

  function buildFeatureMap() {
    const dataset = widgets.radioGroup({
      label: data.labels.conv_dataset, name: "conv_dataset", inline: true,
      options: data.datasets.map((d) => [d.name, d.title]), value: state.dataset,
      onChange: (v) => {
        state.dataset = v;
        rebuildClassOptions();
        changed();
      },
    });
    parts.classSelect = widgets.selectControl({
      label: data.labels.conv_class, name: CLASS_PARAM, options: classOptions(), value: state.cls,
      onChange: (v) => {
        state.cls = v;
        changed();
      },
    });
    const kernel = widgets.selectControl({
      label: data.labels.conv_filter, name: "conv_filter", options: data.kernel_names.map((k) => [k, k]),
      value: state.filter,
      onChange: (v) => {
        state.filter = v;
        changed();
      },
    });
    controls.dataset = dataset;
    controls.cls = parts.classSelect;
    controls.filter = kernel;
    root.append(el("div", {class: "controls-row"},
      shown("conv_dataset") ? dataset.root : null, shown(CLASS_PARAM) ? parts.classSelect.root : null,
      control("example"), shown("conv_filter") ? kernel.root : null));
    parts.kernelFigure = widgets.figure("");
    parts.kernelNote = el("p", {class: "caption"});
    parts.inputFigure = widgets.figure("");
    parts.featureFigure = widgets.figure("");
    parts.inputTitle = el("p", {class: "figure-title"});
    parts.featureTitle = el("p", {class: "figure-title"});
    parts.mapCaption = el("p", {class: "caption"});
    parts.mapHover = el("p", {class: "caption hover", "aria-hidden": "true"}, " ");
    parts.featureFigure.canvas.addEventListener("mousemove", (e) => hoverMap(e, "feature"));
    parts.inputFigure.canvas.addEventListener("mousemove", (e) => hoverMap(e, "input"));
    parts.missing = el("p", {class: "note warning", hidden: true});
    root.append(parts.missing, el("div", {class: "feature-row"},
      el("figure", {class: "kernel"}, parts.kernelFigure.canvas, parts.kernelNote),
      el("figure", {}, parts.inputTitle, parts.inputFigure.canvas),
      el("figure", {}, parts.featureTitle, parts.featureFigure.canvas)),
    parts.mapHover, parts.mapCaption);
  }

  function classOptions() {
    const classes = data.datasets.find((d) => d.name === state.dataset).classes;
    return classes.map((name, i) => [i, name]);
  }

  function rebuildClassOptions() {
    const select = parts.classSelect.select;
    select.replaceChildren(...classOptions().map(([v, text]) => el("option", {value: String(v)}, text)));
    select.value = String(state.cls);
  }

  // --- the window: play, step, jump ---------------------------------------------------------

  function positions() {
    try {
      const a = arithmetic.convArithmetic(state.size, state.kernel, state.stride, conv().padding, state.dilation);
      return [a.output, a.output * a.output];
    } catch (error) {
      return [0, 0];
    }
  }

  function togglePlay() {
    if (playing) {
      stop();
      settle.settle(settings());
      return;
    }
    const [, count] = positions();
    if (count <= 1) return;
    parts.play.setAttribute("aria-pressed", "true");
    parts.play.textContent = "⏸ Pause";
    playing = setInterval(() => {
      const [, n] = positions();
      state.step = arithmetic.playStep(state.step, n, 1);
      controls.step.set(state.step);
      drawAll(true);
    }, 1000 / state.speed);
  }

  function stop() {
    if (playing) clearInterval(playing);
    playing = null;
    if (parts.play) {
      parts.play.setAttribute("aria-pressed", "false");
      parts.play.textContent = "▶ Play: slide the window";
    }
  }

  function stepBy(delta) {
    const [, count] = positions();
    if (!count) return;
    state.step = (state.step + delta + count) % count;
    controls.step.set(state.step);
    changed(true);
  }

  function jumpToRowEnd() {
    const [out] = positions();
    if (!out) return;
    state.step = arithmetic.endOfRow(state.step, out);
    controls.step.set(state.step);
    changed(true);
  }

  // --- drawing ------------------------------------------------------------------------------

  function drawAll(windowOnly) {
    const s = conv();
    let a = null, problem = "";
    try {
      a = arithmetic.convArithmetic(s.size, s.kernel, s.stride, s.padding, s.dilation);
    } catch (error) {
      if (!(error instanceof arithmetic.Refusal)) throw error;
      problem = error.message;
    }
    controls.pad.setDisabled(state.mode !== "explicit");
    const count = a ? a.output * a.output : 0;
    state.step = Math.min(state.step, Math.max(0, count - 1));
    controls.step.setMax(Math.max(0, count - 1));
    controls.step.setDisabled(count <= 1);
    controls.step.root.hidden = count <= 1;
    parts.jump.disabled = !a || a.output === 1;
    if (parts.play) parts.play.disabled = count <= 1;
    if (!windowOnly) drawFormula(s, a, problem);
    drawWindow(a);
    if (!windowOnly) drawFeatureMap(s);
    widgets.markDrawn(root);
  }

  function drawFormula(s, a, problem) {
    const {el} = widgets;
    if (a) {
      parts.formula.replaceChildren(...formulaMath(a));
      parts.metrics.replaceChildren(
        metric("Output", `${a.output}×${a.output}`),
        metric("Padding", `${a.padBefore} + ${a.padAfter}`, "Zeros before + after the image, on each axis."),
        metric("Windows", String(count(a)), "Window positions = output pixels = O²."));
      parts.result.textContent = `Output ${a.output}×${a.output}, ${count(a)} windows.`;
    } else {
      const [formula, words] = noOutput(s);
      parts.formula.replaceChildren(el("p", {class: "note error"}, "✗ ", problem), formula || "",
        el("p", {}, ...rich(words)));
      parts.metrics.replaceChildren();
      parts.result.textContent = `No output: ${problem}`;
    }
    parts.notes.replaceChildren(...notes(s, a));
  }

  const count = (a) => a.output * a.output;

  function metric(label, value, help) {
    return widgets.el("div", {class: "metric", title: help || null},
      widgets.el("span", {class: "metric-label"}, label), widgets.el("span", {class: "metric-value"}, value));
  }

  function windowLayout(a) {
    const width = Math.max(280, widgets.widthOf(root) || 760);
    const n = a.padded;
    const margin = 28;
    const stacked = width < 2 * (n * 8) + 3 * margin + 40;
    const cell = stacked
      ? Math.max(6, Math.min(40, Math.floor((width - margin - 8) / n)))
      : Math.max(8, Math.min(40, Math.floor((Math.min(width, 900) - 2 * margin - 40) / (2 * n))));
    const gridSide = n * cell;
    const input = {x: margin, y: margin, n, cell};
    const output = stacked
      ? {x: margin, y: margin + gridSide + 40, n: a.output, cell}
      : {x: margin + gridSide + 40, y: margin, n: a.output, cell};
    const w = stacked ? margin + gridSide + 8 : output.x + gridSide + 8;
    const h = stacked ? output.y + a.output * cell + 8 : margin + gridSide + 8;
    return {input, output, w, h, stacked};
  }

  function drawWindow(a) {
    const {el} = widgets;
    parts.window.classList.toggle("unavailable", !a);
    if (!a) {
      parts.sentence.replaceChildren("Fix the settings above to see the window.");
      parts.windowFigure.canvas.hidden = true;
      parts.legend.replaceChildren();
      return;
    }
    parts.windowFigure.canvas.hidden = false;
    const step = state.step;
    const row = Math.floor(step / a.output), col = step % a.output;
    const windows = arithmetic.windowPositions(a.size, a.kernel, a.stride, a.padding, a.dilation);
    parts.sentence.replaceChildren(...widgets.rich(windowSentence(a, row, col, windows[row], windows[col])));
    const colours = data.colours;
    const theme = widgets.themeColours(root);
    const layout = windowLayout(a);
    parts.layout = {a, layout};
    const ctx = parts.windowFigure.ctx(layout.w, layout.h);
    const roles = inputRoles(a, step);
    const real = (i) => i >= a.padBefore && i < a.padBefore + a.size;
    widgets.drawCells(ctx, {
      ...layout.input, font: theme.font, minLabelCell: 16,
      fill: (r, c) => colours.roles[roles[r][c]],
      label: (r, c) => (real(r) && real(c) ? "" : "0"),
    });
    widgets.axes(ctx, {...layout.input, offset: a.padBefore, colour: theme.text, font: theme.font});
    widgets.outline(ctx, {...layout.input, box: [a.padBefore, a.padBefore, a.size, a.size], colour: colours.image_edge,
      width: 1.5, dash: [4, 3]});
    widgets.outline(ctx, {...layout.input, box: [row * a.stride, col * a.stride, a.kEff, a.kEff], colour: colours.window, width: 3});
    widgets.drawCells(ctx, {
      ...layout.output, font: theme.font,
      fill: (r, c) => colours.roles[r * a.output + c < step ? "already computed" : r * a.output + c === step
        ? "this output" : "still to come"],
    });
    ctx.fillStyle = theme.text;
    ctx.font = `bold 13px ${theme.font}`;
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    const title = `Input ${a.size}×${a.size}` + (a.padded !== a.size ? `, padded to ${a.padded}×${a.padded}` : "");
    ctx.fillText(title, layout.input.x, layout.input.y - 16);
    ctx.fillText(`Output ${a.output}×${a.output}`, layout.output.x, layout.output.y - 16);
    parts.windowFigure.setLabel(windowDescription(a, step));
    const present = new Set(roles.flat());
    ["already computed", "this output", "still to come"].forEach((r) => present.add(r));
    const entries = Object.entries(colours.roles).filter(([name]) => present.has(name));
    const key = entries.map(([n]) => n).join("|");
    if (parts.legend.dataset.key !== key) {
      parts.legend.dataset.key = key;
      parts.legend.replaceChildren(widgets.legend([...entries, ["this window", colours.window, "ring"]]));
    }
  }

  function hoverWindow(event) {
    if (!parts.layout) return;
    const {a, layout} = parts.layout;
    const inCell = widgets.cellAt(event, parts.windowFigure.canvas, layout.input);
    const outCell = widgets.cellAt(event, parts.windowFigure.canvas, layout.output);
    if (inCell) {
      const [r, c] = inCell.map((i) => i - a.padBefore);
      const roles = inputRoles(a, state.step);
      parts.hover.textContent = `Input row ${r}, column ${c}: ${roles[inCell[0]][inCell[1]]}.`;
    } else if (outCell) {
      parts.hover.textContent = `Output cell (row ${outCell[0]}, column ${outCell[1]}): click to move the window there.`;
    }
  }

  function clickOutput(event) {
    if (!parts.layout) return;
    const {a, layout} = parts.layout;
    const cell = widgets.cellAt(event, parts.windowFigure.canvas, layout.output);
    if (!cell) return;
    state.step = cell[0] * a.output + cell[1];
    controls.step.set(state.step);
    changed(true);
  }

  const picked = () => widgets.pickedImage(images, data.datasets, state.dataset, state.cls, state.example);

  function drawFeatureMap(s) {
    const {formatG, el} = widgets;
    const info = data.datasets.find((d) => d.name === state.dataset);
    const className = info.classes[state.cls];
    const theme = widgets.themeColours(root);
    const weights = data.kernels[state.filter][String(state.kernel)];
    drawKernel(weights, theme);
    parts.kernelNote.replaceChildren(data.kernel_notes[state.filter][0].toUpperCase() +
      data.kernel_notes[state.filter].slice(1) + ".",
    state.kernel === 1 && state.filter.includes("edge")
      ? " A 1×1 kernel sees one pixel: it cannot compare neighbours, so it finds no edges." : "");
    const image = picked();
    parts.missing.hidden = image !== null || !images[state.dataset];
    if (image === null) {
      parts.missing.textContent = `This dataset has no test image of class ${className}.`;
      parts.inputFigure.canvas.hidden = parts.featureFigure.canvas.hidden = true;
      parts.map = null;
      return;
    }
    const n = data.image_size;
    const scaled = Float64Array.from(image, (v) => v / 255); // [0, 1], as the network sees it
    let feature;
    try {
      feature = arithmetic.convolve2d(scaled, n, weights, s.stride, s.padding, s.dilation);
    } catch (error) {
      if (!(error instanceof arithmetic.Refusal)) throw error;
      parts.mapCaption.replaceChildren(el("span", {class: "note error"}, `✗ On the ${n}×${n} image: ${error.message}`));
      parts.featureFigure.canvas.hidden = true;
      parts.featureTitle.textContent = "";
      drawImage(parts.inputFigure, image, n, 255, false);
      parts.map = null;
      return;
    }
    parts.featureFigure.canvas.hidden = false;
    parts.inputTitle.textContent = `Input (“${className}”): ${n}×${n}×1`;
    parts.featureTitle.textContent = `Feature map: ${feature.size}×${feature.size}×1`;
    if (parts.inputFigure.image !== image || parts.inputFigure.cell !== widgets.imageCell(root, n)) {
      drawImage(parts.inputFigure, image, n, 255, false); // only when the image or the scale changed
      parts.inputFigure.image = image;
    }
    let strongest = 0, negative = false, lo = Infinity, hi = -Infinity;
    for (const v of feature.values) {
      strongest = Math.max(strongest, Math.abs(v));
      negative = negative || v < -1e-9;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    drawImage(parts.featureFigure, feature.values, feature.size, strongest || 1, negative);
    parts.inputFigure.setLabel(`Input image of a ${className}: a ${n}×${n} heat map, white at 0, darker for larger values.`);
    parts.featureFigure.setLabel(`Feature map of the ${state.filter} kernel: a ${feature.size}×${feature.size} heat map, ` +
      `${negative ? "blue below zero, white at zero, red above" : "white at 0, darker for larger values"}; ` +
      `values from ${formatG(lo, 3)} to ${formatG(hi, 3)}.`);
    parts.map = {feature, image, n};
    const out = feature.size;
    parts.mapCaption.replaceChildren(`Shape (${n}, ${n}, 1) → (${out}, ${out}, 1): ${(n * n).toLocaleString("en")} pixels ` +
      `become ${(out * out).toLocaleString("en")} numbers. Each output pixel is drawn at the same size as an input ` +
      "pixel, so you see how much the layer shrinks the image. " +
      (negative ? `Blue is negative, red positive, white zero; the strongest colour is ±${formatG(strongest, 3)}`
        : `White is 0, black is ${formatG(strongest, 3)}`) + " (hover a pixel for its value).");
  }

  function drawImage(fig, values, side, bound, signed) {
    widgets.drawMap(fig, {values, side, cell: widgets.imageCell(root, data.image_size),
      colour: (v) => widgets.rampRGB(...heat(v, bound, signed)), border: widgets.themeColours(root).border});
  }

  function drawKernel(weights, theme) {
    const k = weights.length;
    const cell = 30;
    const ctx = parts.kernelFigure.ctx(Math.max(k, 5) * cell + 2, k * cell + 24);
    const bound = Math.max(...weights.flat().map(Math.abs)) || 1;
    const whole = weights.flat().every((v) => Math.abs(v - Math.round(v)) < 1e-9);
    ctx.fillStyle = theme.text;
    ctx.font = `bold 13px ${theme.font}`;
    ctx.textAlign = "left";
    ctx.fillText(`${state.filter}, ${k}×${k}`, 0, 14);
    widgets.drawCells(ctx, {
      x: 1, y: 22, n: k, cell, font: theme.font, minLabelCell: 20,
      fill: (r, c) => widgets.ramp(...heat(weights[r][c], bound, true)),
      label: (r, c) => weights[r][c].toFixed(whole ? 0 : 2),
    });
    parts.kernelFigure.setLabel(`${state.filter} kernel, ${k}×${k}: weights row by row: ` +
      weights.map((row) => row.map((v) => widgets.formatG(Math.round(v * 100) / 100)).join(" ")).join("; ") + ".");
  }

  function hoverMap(event, which) {
    if (!parts.map) return;
    const fig = which === "feature" ? parts.featureFigure : parts.inputFigure;
    const side = which === "feature" ? parts.map.feature.size : parts.map.n;
    const cell = widgets.cellAt(event, fig.canvas, {x: 1, y: 1, n: side, cell: fig.cell});
    if (!cell) return;
    const value = which === "feature" ? parts.map.feature.values[cell[0] * side + cell[1]]
      : parts.map.image[cell[0] * side + cell[1]];
    parts.mapHover.textContent = `${which === "feature" ? "Feature map" : "Input"} row ${cell[0]}, column ${cell[1]}: ` +
      `${widgets.formatG(value, 4)}`;
  }

  return {
    update({data: next}) {
      data = next;
      state.speed = state.speed ?? next.play_speeds[1];
      apply(next);
      widgets.loadImages(images, next.datasets, next.image_size, () => drawAll(false));
    },
    destroy() {
      stop();
      settle.cancel();
      stopWatching();
    },
  };
}

export default function (component) {
  return widgets.mount(component.parentElement, makeConvolution, component);
}
