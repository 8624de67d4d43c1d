// What every explorer is built from: DOM helpers, the controls (a native range input, or a number
// box under "Type exact values"), the settled-settings reporter, numbers written as Python writes
// them, and a canvas that draws a grid of cells. Loaded after arithmetic.js, before an explorer.

const widgets = (() => {
  const SETTLE_MS = 250; // the controls rest this long before their settings go back to Python
  let uid = 0;
  // Widths and theme colours are read once per layout: reading one right after the DOM changed
  // forces the browser to lay the page out there and then, inside the draw a key press waits for.
  let layout = 0;

  /** An element with attributes (on* keys become listeners) and children (strings become text). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  }

  function nextId(prefix) {
    uid += 1;
    return `${prefix}-${uid}`;
  }

  /** MathML from a string of MathML elements (numbers and symbols only: nothing a user typed). */
  function math(inner, display = "block") {
    const node = document.createElementNS("http://www.w3.org/1998/Math/MathML", "math");
    node.setAttribute("display", display);
    node.innerHTML = inner;
    return node;
  }

  /** MathML pieces: an identifier, a number, an operator, a subscript, a fraction in fences. */
  const mml = {
    i: (s) => `<mi>${s}</mi>`,
    n: (s) => `<mn>${s}</mn>`,
    o: (s) => `<mo>${s}</mo>`,
    result: (s) => `<mn class="result">${s}</mn>`,
    sub: (base, script) => `<msub><mi>${base}</mi><mi>${script}</mi></msub>`,
    fenced: (open, close, top, bottom) => `<mrow><mo stretchy="true">${open}</mo><mfrac><mrow>${top}</mrow>` +
      `<mrow>${bottom}</mrow></mfrac><mo stretchy="true">${close}</mo></mrow>`,
  };

  /** Text with **bold** spans (the wording Python sends uses Markdown's bold only) as nodes. */
  function rich(text) {
    return String(text).split(/\*\*(.+?)\*\*/g).map((part, i) => (i % 2 ? el("strong", {}, part) : part));
  }

  /** A number as Python's f"{x:.{digits}f}" writes it: an exact tie rounds to the even digit. */
  function formatF(x, digits = 0) {
    const text = x.toFixed(digits); // JavaScript breaks an exact tie upwards, Python to the even digit
    const exact = Math.abs(x).toFixed(100); // the double's own decimal expansion
    const tail = exact.slice(exact.indexOf(".") + 1 + digits);
    if (!/^50*$/.test(tail)) return text;
    const scale = 10 ** digits;
    const floor = Math.floor(Math.abs(x) * scale);
    return (Math.sign(x) * (floor % 2 === 0 ? floor : floor + 1) / scale).toFixed(digits);
  }

  /** A number as Python's f"{x:.{digits}g}" writes it (4.5, 0.3333, 1e-05, 2.5e+03). */
  function formatG(x, digits = 6) {
    if (x === 0) return Object.is(x, -0) ? "-0" : "0";
    if (!Number.isFinite(x)) return x > 0 ? "inf" : x < 0 ? "-inf" : "nan";
    const [mantissa, exp] = x.toExponential(digits - 1).split("e");
    const exponent = Number(exp);
    if (exponent < -4 || exponent >= digits) {
      const m = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
      return `${m}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
    }
    const fixed = formatF(x, Math.max(0, digits - 1 - exponent));
    return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
  }

  /** "1 row", "2 rows", "0 rows" (cnn_core.formulas.plural). */
  function plural(n, word) {
    return word + (n === 1 ? "" : "s");
  }

  /** 1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st (cnn_core.formulas.ordinal). */
  function ordinal(n) {
    const suffix = n % 100 >= 10 && n % 100 <= 20 ? "th" : ({1: "st", 2: "nd", 3: "rd"}[n % 10] || "th");
    return `${n}${suffix}`;
  }

  /**
   * A whole-number control: a slider, or with ``exact`` a number box that takes typed values
   * (WCAG 2.5.7). ``onInput(value)`` runs on every step. Returns {root, value(), set(v),
   * setMax(max), setDisabled(flag)}.
   */
  function numberControl({label, min, max, value, help, exact, disabled, onInput, name}) {
    const id = nextId("control");
    const hintId = help ? `${id}-help` : null;
    const output = el("output", {for: id, class: "value", "aria-hidden": "true"});
    const input = el("input", {
      id, type: exact ? "number" : "range", min, max, step: 1, value,
      "aria-describedby": hintId, "data-name": name, disabled,
    });
    let current = value;
    const show = () => {
      output.textContent = String(current);
      input.setAttribute("aria-valuetext", String(current));
    };
    const take = (raw) => {
      if (String(raw).trim() === "") return false;
      const typed = Number(raw);
      if (!Number.isInteger(typed)) return false;
      current = Math.min(Number(input.max), Math.max(Number(input.min), typed));
      return true;
    };
    if (exact) {
      // A typed value counts when it is complete (Enter, leaving the box, the spin buttons).
      input.addEventListener("change", () => {
        if (!take(input.value)) input.value = current;
        input.value = current;
        show();
        onInput(current);
      });
    } else {
      input.addEventListener("input", () => {
        take(input.value);
        show();
        onInput(current);
      });
    }
    show();
    const root = el("div", {class: "control"},
      el("label", {for: id}, el("span", {}, label), exact ? null : output),
      input,
      help ? el("small", {id: hintId, class: "hint"}, help) : null);
    return {
      root, input,
      value: () => current,
      set(v) {
        current = v;
        input.value = v;
        show();
      },
      setMax(top) {
        input.max = top;
        if (current > top) this.set(top);
      },
      setDisabled(flag) {
        input.disabled = flag;
        root.classList.toggle("disabled", flag);
      },
    };
  }

  /**
   * The control of an explorer's whole-number setting ``key`` (``param[key]`` is its URL
   * parameter): bounds, label and help from Python's data, kept in ``controls[key]``; its root,
   * or null where the link hides the control (its value still applies).
   */
  function settingControl({data, state, param, controls, key, changed, extra = {}}) {
    const name = param[key];
    const [min, max] = data.bounds[name];
    controls[key] = numberControl({
      label: data.labels[name], min, max, value: state[key], help: data.help[name], exact: data.exact, name,
      ...extra,
      onInput: (v) => {
        state[key] = v;
        changed(key);
      },
    });
    return data.hidden.includes(name) ? null : controls[key].root;
  }

  /** Radio buttons in a fieldset: options are [value, label] pairs; onChange(value). */
  function radioGroup({label, options, value, onChange, name, inline = false}) {
    const group = nextId("radio");
    const inputs = options.map(([optionValue, optionLabel]) => {
      const id = nextId("option");
      const input = el("input", {
        type: "radio", id, name: group, value: String(optionValue), "data-name": name,
        checked: String(optionValue) === String(value),
        onchange: () => onChange(optionValue),
      });
      return [optionValue, input, el("label", {class: "option", for: id}, input, " ", optionLabel)];
    });
    const root = el("fieldset", {class: `control radios${inline ? " inline" : ""}`},
      el("legend", {}, label), ...inputs.map(([, , labelled]) => labelled));
    return {
      root,
      set(v) {
        for (const [optionValue, input] of inputs) input.checked = String(optionValue) === String(v);
      },
    };
  }

  /** A checkbox with its label; onChange(checked). */
  function checkboxControl({label, value, onChange, name, help}) {
    const id = nextId("check");
    const input = el("input", {type: "checkbox", id, "data-name": name, checked: Boolean(value),
      onchange: () => onChange(input.checked)});
    const root = el("div", {class: "control check"}, el("label", {for: id, class: "option"}, input, " ", label),
      help ? el("small", {class: "hint"}, help) : null);
    return {root, input, set(v) { input.checked = Boolean(v); }};
  }

  /** A select box: options are [value, label] pairs; onChange(value) with the option's value. */
  function selectControl({label, options, value, onChange, name, help}) {
    const id = nextId("select");
    const select = el("select", {id, "data-name": name},
      ...options.map(([v, text]) => el("option", {value: String(v), selected: String(v) === String(value)}, text)));
    select.addEventListener("change", () => {
      const chosen = options.find(([v]) => String(v) === select.value);
      onChange(chosen[0]);
    });
    const root = el("div", {class: "control"}, el("label", {for: id}, label), select,
      help ? el("small", {class: "hint"}, help) : null);
    return {root, select, set(v) { select.value = String(v); }};
  }

  /**
   * Sends the settings to Python once the controls have rested SETTLE_MS, and only when they
   * differ from what was sent last: a move starts no rerun, a pause starts one at most, and a
   * control moved away and back before resting sends nothing at all. Each report carries an id
   * of its own, so Python tells a new report from one it has applied.
   */
  function settler(setStateValue, initial) {
    let timer = null;
    let last = JSON.stringify(initial);
    const session = Math.random().toString(36).slice(2);
    let count = 0;
    return {
      settle(settings) {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const text = JSON.stringify(settings);
          if (text === last) return;
          last = text;
          count += 1;
          setStateValue("settings", {values: settings, id: `${session}-${count}`});
        }, SETTLE_MS);
      },
      /** Settings Python imposed (a link, a button): already known there, not to be sent back. */
      known(settings) {
        last = JSON.stringify(settings);
      },
      cancel() {
        clearTimeout(timer);
      },
    };
  }

  /** The theme's colours as the page shows them (Streamlit passes its theme as --st-* variables),
   * read once per layout like a width (a new theme reaches the explorer as an update). */
  const themes = new WeakMap();

  function themeColours(node) {
    const known = themes.get(node);
    if (known && known.layout === layout) return known.theme;
    const style = getComputedStyle(node);
    const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    const theme = {
      text: read("--st-text-color", "#111111"),
      background: read("--st-background-color", "#ffffff"),
      secondary: read("--st-secondary-background-color", "#f0f2f6"),
      border: read("--st-border-color", "#d5dae5"),
      font: read("--st-font", "sans-serif"),
    };
    themes.set(node, {layout, theme});
    return theme;
  }

  /** Colour ramps: white (0) to black (ink), and blue (below zero) – white – red (above). */
  const GREYS = [[0, "#ffffff"], [1, "#000000"]];
  const DIVERGING = [[0, "#2166ac"], [0.5, "#ffffff"], [1, "#b2182b"]];

  /** Hex "#rrggbb" → [r, g, b]; and a colour between stops (each [t, "#hex"]) at t in [0, 1]. */
  function rgb(hex) {
    const h = hex.replace("#", "");
    return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
  }

  function rampRGB(stops, t) {
    t = Math.min(1, Math.max(0, t));
    for (let i = 1; i < stops.length; i++) {
      const [t1, c1] = stops[i];
      const [t0, c0] = stops[i - 1];
      if (t <= t1) {
        const f = t1 === t0 ? 0 : (t - t0) / (t1 - t0);
        const a = rgb(c0), b = rgb(c1);
        return a.map((v, j) => Math.round(v + (b[j] - v) * f));
      }
    }
    return rgb(stops[stops.length - 1][1]);
  }

  function ramp(stops, t) {
    return `rgb(${rampRGB(stops, t).join(",")})`;
  }

  /** Relative luminance of "#rrggbb" or "rgb(r,g,b)": whether text on it should be white. */
  function isDark(colour) {
    const channels = colour.startsWith("#") ? rgb(colour) : colour.match(/\d+/g).map(Number);
    const lin = channels.map((c) => {
      const v = c / 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2] < 0.18;
  }

  /**
   * A canvas sized in CSS pixels and drawn sharp at the screen's pixel ratio, shown once drawn.
   * ``describe`` is its text alternative (role img). Returns {canvas, ctx(width, height), setLabel(text)}.
   */
  function figure(describe) {
    // Hidden until first drawn: a picture with nothing on it has nothing to say either.
    const canvas = el("canvas", {role: "img", "aria-label": describe || "", hidden: true});
    return {
      canvas,
      ctx(width, height) {
        canvas.hidden = false;
        const ratio = window.devicePixelRatio || 1;
        if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
          canvas.width = Math.round(width * ratio);
          canvas.height = Math.round(height * ratio);
        }
        canvas.style.width = `${width}px`;
        canvas.style.height = `${height}px`;
        const ctx = canvas.getContext("2d");
        ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
        ctx.clearRect(0, 0, width, height);
        return ctx;
      },
      setLabel(text) {
        canvas.setAttribute("aria-label", text);
      },
    };
  }

  /**
   * Draw an n×n grid of cells at (x, y), ``cell`` px each: ``fill(r, c)`` gives a cell's colour,
   * ``label(r, c)`` its text ("" for none), drawn when the cell is big enough for it. Cells are
   * filled colour by colour: a canvas parses a colour each time it is set.
   */
  function drawCells(ctx, {x, y, n, cell, fill, label, gap = 1, font, minLabelCell = 14}) {
    const size = Math.max(1, cell - gap);
    const byColour = new Map();
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const colour = fill(r, c);
        if (!byColour.has(colour)) byColour.set(colour, []);
        byColour.get(colour).push(r, c);
      }
    }
    for (const [colour, cells] of byColour) {
      ctx.fillStyle = colour;
      for (let i = 0; i < cells.length; i += 2) ctx.fillRect(x + cells[i + 1] * cell, y + cells[i] * cell, size, size);
    }
    if (!label || cell < minLabelCell) return;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const [colour, cells] of byColour) {
      ctx.fillStyle = isDark(colour) ? "#ffffff" : "#1f2937";
      for (let i = 0; i < cells.length; i += 2) {
        const text = label(cells[i], cells[i + 1]);
        if (!text) continue;
        const px = Math.min(12, Math.floor((cell - 4) / (0.6 * Math.max(1, text.length))));
        if (px < 8) continue;
        ctx.font = `${px}px ${font}`;
        ctx.fillText(text, x + cells[i + 1] * cell + size / 2, y + cells[i] * cell + size / 2 + 0.5);
      }
    }
  }

  /**
   * An image or a feature map, ``side``×``side`` values drawn ``cell`` px each (its own size: a
   * smaller map is a smaller picture at the same scale), ``colour(value)`` a pixel's [r, g, b].
   * The pixels are written once at 1:1 and scaled up without smoothing, each a sharp square.
   */
  function drawMap(fig, {values, side, cell, colour, border}) {
    const ctx = fig.ctx(side * cell + 2, side * cell + 2);
    const pixels = new ImageData(side, side);
    for (let i = 0; i < side * side; i++) {
      const [r, g, b] = colour(values[i]);
      pixels.data.set([r, g, b, 255], 4 * i);
    }
    const small = new OffscreenCanvas(side, side);
    small.getContext("2d").putImageData(pixels, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 1, 1, side * cell, side * cell);
    ctx.strokeStyle = border;
    ctx.strokeRect(0.5, 0.5, side * cell + 1, side * cell + 1);
    fig.cell = cell;
  }

  /** Pixels per image pixel: 9 (a 28×28 digit is 252 px wide), less where ``frame`` pixels do not fit. */
  function imageCell(root, frame) {
    return Math.max(4, Math.min(9, Math.floor(((widthOf(root) || 760) - 40) / frame)));
  }

  const widths = new WeakMap();

  /** The width of ``node`` in CSS px, measured once until the layout changes (forgetLayout). */
  function widthOf(node) {
    const known = widths.get(node);
    if (known && known.layout === layout) return known.width;
    const width = node.getBoundingClientRect().width;
    widths.set(node, {layout, width});
    return width;
  }

  function forgetLayout() {
    layout += 1;
  }

  /** A rectangle's outline over cells [row, col, rows, cols] of a grid drawn at (x, y). */
  function outline(ctx, {x, y, cell, box, colour, width = 2, dash = []}) {
    const [row, col, rows, cols] = box;
    ctx.save();
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.setLineDash(dash);
    ctx.strokeRect(x + col * cell - 0.5, y + row * cell - 0.5, cols * cell, rows * cell);
    ctx.restore();
  }

  /** Index labels along the top and left of a grid: cell i is labelled i − offset, thinned out. */
  function axes(ctx, {x, y, n, cell, offset = 0, colour, font}) {
    const every = Math.max(1, Math.ceil(18 / cell));
    ctx.save();
    ctx.fillStyle = colour;
    ctx.font = `11px ${font}`;
    ctx.textBaseline = "middle";
    for (let i = 0; i < n; i++) {
      const index = i - offset;
      if (index % every !== 0) continue;
      ctx.textAlign = "center";
      ctx.fillText(String(index), x + i * cell + cell / 2, y - 8);
      ctx.textAlign = "right";
      ctx.fillText(String(index), x - 4, y + i * cell + cell / 2);
    }
    ctx.restore();
  }

  /** The grid cell [row, col] under a mouse event on a grid drawn at (x, y), or null. */
  function cellAt(event, canvas, {x, y, n, cell}) {
    const box = canvas.getBoundingClientRect();
    const scale = box.width / parseFloat(canvas.style.width || box.width);
    const px = (event.clientX - box.left) / scale - x;
    const py = (event.clientY - box.top) / scale - y;
    const col = Math.floor(px / cell), row = Math.floor(py / cell);
    return row >= 0 && col >= 0 && row < n && col < n ? [row, col] : null;
  }

  /** A legend: a swatch and a name for each [name, colour] shown. */
  function legend(entries) {
    return el("ul", {class: "legend"},
      ...entries.map(([name, colour, kind]) => el("li", {},
        el("span", {class: `swatch${kind ? ` ${kind}` : ""}`, style: `--swatch: ${colour}`, "aria-hidden": "true"}),
        name)));
  }

  /** Decode the images Python sent as one PNG sprite: rows of ``per`` images per class. */
  async function decodeSprite(dataUrl, side) {
    const blob = await (await fetch(dataUrl)).blob();
    const bitmap = await createImageBitmap(blob, {colorSpaceConversion: "none", premultiplyAlpha: "none"});
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext("2d", {willReadFrequently: true});
    ctx.drawImage(bitmap, 0, 0);
    const pixels = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const columns = bitmap.width / side, rows = bitmap.height / side;
    const images = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) {
        const image = new Uint8Array(side * side);
        for (let y = 0; y < side; y++) {
          for (let x = 0; x < side; x++) image[y * side + x] = pixels[((r * side + y) * bitmap.width + c * side + x) * 4];
        }
        images.push(image);
      }
    }
    return images;
  }

  /**
   * Rebuild an explorer's controls with ``build()``, keeping the keyboard where it was: the control
   * that had focus (by its data-name) has it again afterwards.
   */
  function rebuildKeepingFocus(root, build) {
    const active = root.getRootNode().activeElement;
    const name = active && root.contains(active) ? active.dataset.name : null;
    build();
    if (name) root.querySelector(`[data-name="${name}"]`)?.focus();
  }

  /** The settings an explorer reports: its state's values by their URL parameter names. */
  function settingsOf(state, param) {
    return Object.fromEntries(Object.entries(param).map(([key, name]) => [name, state[key]]));
  }

  /**
   * The update every explorer shares, for Python's data: settings Python imposed (a new revision)
   * go into ``state`` and are not sent back; the controls are built again when they or the
   * settings changed (not on data that only adds to the picture); then ``draw()``.
   */
  function updater({root, state, param, settle, build, draw}) {
    let revision = null, built = null;
    return (data) => {
      forgetLayout(); // a new theme or new controls: measure afresh
      const imposed = data.revision !== revision;
      const structure = JSON.stringify([data.exact, data.hidden, data.labels]);
      if (imposed) {
        revision = data.revision;
        for (const [key, name] of Object.entries(param)) state[key] = data.settings[name];
        settle.known(settingsOf(state, param));
      }
      if (imposed || structure !== built) {
        built = structure;
        rebuildKeepingFocus(root, build);
      }
      draw();
    };
  }

  /** Decode each dataset's sprite once into ``images`` (by dataset name), then ``done()``. */
  async function loadImages(images, datasets, side, done) {
    for (const d of datasets) {
      if (images[d.name] && images[d.name].sprite === d.sprite) continue;
      const decoded = await decodeSprite(d.sprite, side);
      decoded.sprite = d.sprite;
      images[d.name] = decoded;
    }
    done();
  }

  /** The test image (uint8, side×side) of (dataset, class, example) from the decoded sprites, or
   * null while they decode or when the class has no test image. */
  function pickedImage(images, datasets, dataset, label, example) {
    const set = images[dataset];
    const info = datasets.find((d) => d.name === dataset);
    if (!set || info.missing.includes(label)) return null;
    return set[label * info.per_class + example];
  }

  /** Count a finished draw on ``root`` (benchmarks and tests wait on data-draws). */
  function markDrawn(root) {
    root.dataset.draws = String(Number(root.dataset.draws || 0) + 1);
  }

  /** The instance of an explorer mounted in ``parent``: made once, handed new data on each call. */
  const instances = new WeakMap();

  function mount(parent, make, args) {
    let instance = instances.get(parent);
    if (!instance) {
      instance = make(parent, args);
      instances.set(parent, instance);
    }
    instance.update(args);
    return () => {
      instance.destroy();
      instances.delete(parent);
    };
  }

  /** Call ``redraw()`` when ``node`` gets wider or narrower (not when a redraw changes its height). */
  function onWidthChange(node, redraw) {
    let width = null;
    const observer = new ResizeObserver(([entry]) => {
      const now = Math.round(entry.contentRect.width);
      if (width !== null && now !== width) {
        forgetLayout();
        redraw();
      }
      width = now;
    });
    observer.observe(node);
    return () => observer.disconnect();
  }

  const reducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  return {
    SETTLE_MS, el, math, mml, rich, formatF, formatG, plural, ordinal, numberControl, settingControl, pickedImage, radioGroup, checkboxControl, selectControl, settler, rebuildKeepingFocus, settingsOf, updater, loadImages,
    themeColours, GREYS, DIVERGING, ramp, rampRGB, isDark, widthOf, forgetLayout, figure, drawCells, drawMap, imageCell, outline, axes, cellAt, legend, decodeSprite,
    markDrawn, mount, onWidthChange, reducedMotion, nextId,
  };
})();

// The explorers' arithmetic and number formatting, reachable from the page: the browser tests
// call them against cnn_core (tests/e2e/test_explorer_arithmetic.py), and a developer can too.
globalThis.cnnExplorers = {arithmetic, widgets};
