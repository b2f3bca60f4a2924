// chainrule's walkthrough page: steps through the forward and backward pass of a graph.
//
// Everything a step shows was computed in Python (the JSON in #wt-data): the step's text,
// the SVG elements it lights up ("cur": this step, "src": what it reads), the elements it
// reveals ("done", forward pass) and the gradient badge it sets ("g": [badge, text,
// previous text, final]). Going one step only toggles classes on those few elements, so a
// step costs the same on a graph of five nodes or five hundred.
(function () {
  "use strict";
  const root = document.getElementById("wt");
  const data = JSON.parse(document.getElementById("wt-data").textContent);
  const svg = root.querySelector("svg");
  const steps = data.steps;
  const N = steps.length;

  // The SVG's nodes and edges by their <title> (Graphviz writes the DOT id there: v3, o3,
  // v1->o3), in document order, so that the k-th edge "v1->o3" is the k-th drawn.
  const byTitle = new Map();
  for (const g of svg.querySelectorAll("g.node, g.edge")) {
    const title = g.querySelector(":scope > title");
    if (!title) continue;
    const key = title.textContent;
    g.setAttribute("data-id", key);
    if (!byTitle.has(key)) byTitle.set(key, []);
    byTitle.get(key).push(g);
  }
  const els = data.els.map(([title, k]) => (byTitle.get(title) || [])[k] || null);

  // A line under each value: its gradient, once the backward pass reaches it.
  const badges = data.badges.map(([e, name]) => {
    const g = els[e];
    if (!g) return null;
    const box = g.getBBox();
    const line = document.createElementNS(svg.namespaceURI, "text");
    line.setAttribute("class", "wt-badge");
    line.setAttribute("x", String(box.x + box.width / 2));
    line.setAttribute("y", String(box.y + box.height + 11));
    line.setAttribute("text-anchor", "middle");
    const grad = document.createElementNS(svg.namespaceURI, "tspan");
    line.appendChild(grad);
    g.appendChild(line);
    const title = g.querySelector(":scope > title");
    if (title) title.textContent = name; // the tooltip names the value, not its DOT id
    return grad;
  });
  growViewBox(14); // room for the badges under the lowest values

  const list = document.getElementById("wt-list");
  const listBox = list.parentElement;
  const items = [];
  const fragment = document.createDocumentFragment();
  for (const step of steps) {
    const li = document.createElement("li");
    li.textContent = step.t; // text, never markup: labels are the user's
    li.className = step.p === "backward" ? "wt-b" : "wt-f";
    li.hidden = true;
    items.push(li);
    fragment.appendChild(li);
  }
  list.appendChild(fragment);

  const status = document.getElementById("wt-status");
  const figure = document.getElementById("wt-figure");
  const buttons = {
    first: document.getElementById("wt-first"),
    prev: document.getElementById("wt-prev"),
    play: document.getElementById("wt-play"),
    next: document.getElementById("wt-next"),
    last: document.getElementById("wt-last"),
  };
  const speed = document.getElementById("wt-speed");
  const fit = document.getElementById("wt-fit");
  const PHASES = { forward: "forward pass", backward: "backward pass", done: "done" };

  let at = 0; // steps[0 .. at - 1] are applied
  let lit = [];
  let timer = null;

  function growViewBox(extra) {
    const box = svg.viewBox.baseVal;
    if (!box || !box.height) return;
    svg.setAttribute("viewBox", `${box.x} ${box.y} ${box.width} ${box.height + extra}`);
    const height = svg.getAttribute("height");
    if (height && height.endsWith("pt")) {
      svg.setAttribute("height", `${parseFloat(height) + extra}pt`);
    }
  }

  function apply(step, forward) {
    if (step.done) {
      for (const e of step.done) if (els[e]) els[e].classList.toggle("wt-done", forward);
    }
    if (step.g) {
      const [b, text, old, final] = step.g;
      const badge = badges[b];
      if (badge) {
        badge.textContent = forward ? text : old;
        badge.classList.toggle("wt-partial", !(forward && final));
      }
    }
  }

  function light(step) {
    for (const [e, cls] of lit) e.classList.remove(cls);
    lit = [];
    if (!step) return;
    for (const [key, cls] of [["cur", "wt-cur"], ["src", "wt-src"]]) {
      for (const i of step[key] || []) {
        const e = els[i];
        if (e) {
          e.classList.add(cls);
          lit.push([e, cls]);
        }
      }
    }
  }

  function go(k) {
    k = Math.max(0, Math.min(N, k));
    if (at > 0) items[at - 1].removeAttribute("aria-current");
    while (at < k) {
      apply(steps[at], true);
      items[at].hidden = false;
      at += 1;
    }
    while (at > k) {
      at -= 1;
      apply(steps[at], false);
      items[at].hidden = true;
    }
    const step = at ? steps[at - 1] : null;
    light(step);
    if (step) {
      status.textContent = `Step ${at} of ${N} (${PHASES[step.p] || step.p}): ${step.t}`;
      const li = items[at - 1];
      li.setAttribute("aria-current", "step");
      keepVisible(li);
      if (!fit.checked && lit.length) centre(lit[0][0]);
    } else {
      status.textContent = `Step 0 of ${N}: nothing computed yet. Press \u2192 or Next.`;
    }
    buttons.first.disabled = buttons.prev.disabled = at === 0;
    buttons.next.disabled = buttons.last.disabled = at === N;
    if (at === N) stop();
  }

  function centre(element) {
    // Scroll the picture (only) so that the step's main element is in its middle.
    const box = figure.getBoundingClientRect();
    const r = element.getBoundingClientRect();
    figure.scrollLeft += r.left + r.width / 2 - (box.left + box.width / 2);
    figure.scrollTop += r.top + r.height / 2 - (box.top + box.height / 2);
  }

  function keepVisible(li) {
    // Scroll the list box only (scrollIntoView would scroll the page too).
    const top = li.offsetTop;
    if (top < listBox.scrollTop || top + li.offsetHeight > listBox.scrollTop + listBox.clientHeight) {
      listBox.scrollTop = top - listBox.clientHeight / 2;
    }
  }

  function play() {
    if (at === N) go(0);
    stop();
    timer = setInterval(() => go(at + 1), Number(speed.value));
    buttons.play.textContent = "\u23F8 Pause";
    buttons.play.setAttribute("aria-label", "pause (Space)");
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    buttons.play.textContent = "\u25B6 Play";
    buttons.play.setAttribute("aria-label", "play (Space)");
  }

  function toggle() {
    if (timer === null) play();
    else stop();
  }

  buttons.first.addEventListener("click", () => go(0));
  buttons.prev.addEventListener("click", () => go(at - 1));
  buttons.next.addEventListener("click", () => go(at + 1));
  buttons.last.addEventListener("click", () => go(N));
  buttons.play.addEventListener("click", toggle);
  speed.addEventListener("change", () => {
    if (timer !== null) play();
  });
  fit.addEventListener("change", () => figure.classList.toggle("wt-fitted", fit.checked));

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const tag = event.target && event.target.tagName;
    if (tag === "SELECT" || tag === "INPUT") return; // their keys are their own
    const moves = { ArrowRight: () => go(at + 1), ArrowLeft: () => go(at - 1),
      Home: () => go(0), End: () => go(N) };
    if (moves[event.key]) {
      event.preventDefault();
      stop();
      moves[event.key]();
    } else if (event.key === " " && tag !== "BUTTON") { // on a button, Space presses it
      event.preventDefault();
      toggle();
    }
  });

  // Fit the picture to the width unless that would shrink its text below about half size;
  // then show it at full size, scrolled to each step (the checkbox switches).
  const fitted = svg.getBoundingClientRect().width;
  const full = svg.width.baseVal.value; // the width Graphviz gave it, in px
  if (full && fitted / full < 0.55) {
    fit.checked = false;
    figure.classList.remove("wt-fitted");
  }

  root.classList.add("wt-ready");
  go(0);
})();
