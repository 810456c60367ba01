/* Annotated Reader: the in-browser annotator. Vanilla JS, no build step, no inline script.
 *
 * Offsets: the server counts Unicode code points of the canonical text (W3C
 * TextPositionSelector); the DOM counts UTF-16 code units. Everything that leaves this file
 * is in code points; everything that touches a text node is in UTF-16 units.
 */
(function () {
  "use strict";

  const article = document.getElementById("document");
  if (!article) return;

  const panel = document.getElementById("annotations-panel");
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrfToken = csrfMeta ? csrfMeta.content : "";
  const user = article.dataset.user || null;
  const isOldVersion = article.dataset.oldVersion === "true";
  const MOTIVATION_KIND = { commenting: "comment", highlighting: "highlight", assessing: "claim", questioning: "question" };
  const CONTEXT = 32;
  const NARROW = window.matchMedia("(max-width: 62.5rem)");
  const graphemes = "Segmenter" in Intl ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
  const sentences = "Segmenter" in Intl ? new Intl.Segmenter(undefined, { granularity: "sentence" }) : null;

  /* ---------------------------------------------------------------- code points */

  /** Number of code points in the first `u16` UTF-16 units of `text`. */
  function cpLength(text, u16) {
    let count = 0;
    for (let i = 0; i < u16; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < u16) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
      count++;
    }
    return count;
  }

  /** The UTF-16 offset of code point number `cp` in `text` (clamped to its length). */
  function u16Offset(text, cp) {
    let i = 0;
    for (let n = 0; n < cp && i < text.length; n++) {
      const c = text.charCodeAt(i);
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
    }
    return i;
  }

  /** Move a UTF-16 offset to a grapheme-cluster boundary: down for a start, up for an end. */
  function snapToGrapheme(text, u16, forward) {
    if (u16 <= 0 || u16 >= text.length) return Math.max(0, Math.min(u16, text.length));
    if (graphemes) {
      let previous = 0;
      for (const seg of graphemes.segment(text)) {
        if (seg.index === u16) return u16;
        if (seg.index > u16) return forward ? seg.index : previous;
        previous = seg.index;
      }
      return forward ? text.length : previous;
    }
    const c = text.charCodeAt(u16 - 1);
    const splitsPair = c >= 0xd800 && c <= 0xdbff;
    if (!splitsPair) return u16;
    return forward ? u16 + 1 : u16 - 1;
  }

  /* ---------------------------------------------------------------- passages */

  const passages = Array.from(article.querySelectorAll(".passage"))
    .map((el) => {
      const span = el.querySelector(".passage-text");
      if (!span) return null;
      return {
        el,
        span,
        text: span.textContent,
        start: Number(el.dataset.start),
        end: Number(el.dataset.end),
        isPullquote: el.classList.contains("pullquote"),
      };
    })
    .filter((p) => p && Number.isFinite(p.start) && Number.isFinite(p.end));
  const byElement = new Map(passages.map((p) => [p.el, p]));
  const bodyPassages = passages.filter((p) => !p.isPullquote).sort((a, b) => a.start - b.start);

  /** The canonical text as an array of code points: passages at their offsets, "\n" between. */
  const canon = (function buildCanonical() {
    const total = bodyPassages.reduce((m, p) => Math.max(m, p.end), 0);
    const cps = new Array(total).fill("\n");
    for (const p of bodyPassages) {
      Array.from(p.text).forEach((ch, i) => {
        cps[p.start + i] = ch;
      });
    }
    return cps;
  })();

  function canonSlice(start, end) {
    return canon.slice(Math.max(0, start), Math.max(0, end)).join("");
  }

  function passageOf(node) {
    const el = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
    const found = el && el.closest(".passage");
    return found && article.contains(found) ? byElement.get(found) || null : null;
  }

  /** UTF-16 offset of a DOM boundary within a passage's text (clamped outside it). */
  function offsetInPassage(p, node, offset) {
    const whole = document.createRange();
    whole.selectNodeContents(p.span);
    let where;
    try {
      where = whole.comparePoint(node, offset);
    } catch (err) {
      return null;
    }
    if (where < 0) return 0;
    if (where > 0) return p.text.length;
    whole.setEnd(node, offset);
    return whole.toString().length;
  }

  /** The DOM point at a UTF-16 offset of a passage's text (walking the split text nodes). */
  function pointAt(p, u16) {
    const walker = document.createTreeWalker(p.span, NodeFilter.SHOW_TEXT);
    let seen = 0;
    let last = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const len = node.data.length;
      if (u16 <= seen + len) return { node, offset: u16 - seen };
      seen += len;
      last = node;
    }
    return last ? { node: last, offset: last.data.length } : { node: p.span, offset: 0 };
  }

  /** A DOM Range over [startCp, endCp) of the canonical text inside one passage element. */
  function rangeIn(p, startCp, endCp) {
    const a = Math.max(startCp, p.start) - p.start;
    const b = Math.min(endCp, p.end) - p.start;
    if (b <= a) return null;
    const from = pointAt(p, u16Offset(p.text, a));
    const to = pointAt(p, u16Offset(p.text, b));
    const range = document.createRange();
    range.setStart(from.node, from.offset);
    range.setEnd(to.node, to.offset);
    return range;
  }

  /* ---------------------------------------------------------------- selection -> target */

  /** Turn the window selection into {start, end, exact, prefix, suffix, passage} or null. */
  function describeSelection() {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    if (!article.contains(range.commonAncestorContainer) && range.commonAncestorContainer !== article) {
      return null;
    }
    const startP = passageOf(range.startContainer);
    const endP = passageOf(range.endContainer);
    let first;
    let last;
    let a;
    let b;
    if (startP && startP === endP) {
      first = last = startP;
      a = offsetInPassage(startP, range.startContainer, range.startOffset);
      b = offsetInPassage(startP, range.endContainer, range.endOffset);
    } else {
      // Across passages: pull quotes repeat body words, so only body passages count here.
      const touched = bodyPassages.filter((p) => range.intersectsNode(p.span));
      if (touched.length === 0) return null;
      first = touched[0];
      last = touched[touched.length - 1];
      a = startP === first ? offsetInPassage(first, range.startContainer, range.startOffset) : 0;
      b = endP === last ? offsetInPassage(last, range.endContainer, range.endOffset) : last.text.length;
    }
    if (a === null || b === null) return null;
    a = snapToGrapheme(first.text, a, false);
    b = snapToGrapheme(last.text, b, true);
    let start = first.start + cpLength(first.text, a);
    let end = last.start + cpLength(last.text, b);
    while (start < end && /\s/u.test(canon[start])) start++;
    while (end > start && /\s/u.test(canon[end - 1])) end--;
    if (end <= start) return null;
    return {
      start,
      end,
      exact: canonSlice(start, end),
      prefix: canonSlice(start - CONTEXT, start),
      suffix: canonSlice(end, end + CONTEXT),
      passage: first,
      rect: range.getBoundingClientRect(),
    };
  }

  /* ---------------------------------------------------------------- HTTP */

  class ApiError extends Error {
    constructor(message, field) {
      super(message);
      this.field = field || null;
    }
  }

  // The ETag of each annotation as last read: sent back as If-Match, so an edit or delete made
  // on a stale copy is refused (412) instead of overwriting someone else's change.
  const etags = new Map();

  async function api(method, url, body, contentType) {
    const headers = { Accept: "application/ld+json, application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken;
    if ((method === "PUT" || method === "DELETE") && etags.has(url)) headers["If-Match"] = etags.get(url);
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = contentType || "application/ld+json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      throw new ApiError("Could not reach the server. Check your connection and try again.");
    }
    const tag = response.headers.get("ETag");
    if (tag && method === "GET") etags.set(url, tag);
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (err) {
        data = null;
      }
    }
    if (!response.ok) {
      const error = data && data.error;
      throw new ApiError(
        (error && error.message) || `The server answered ${response.status} ${response.statusText}.`,
        error && error.field
      );
    }
    return data;
  }

  function idFromIri(iri) {
    return String(iri || "").replace(/\/+$/, "").split("/").pop();
  }

  function annotationUrl(aid) {
    return article.dataset.api + encodeURIComponent(aid);
  }

  /** Show the saved annotation: reload with its card in the URL so the server renders the panel. */
  function reloadAt(aid) {
    reloadTo(aid ? `annotation-${aid}` : "");
  }

  /** Reload the page with the element id `anchor` (a card, a claim's badge) as its fragment. */
  function reloadTo(anchor) {
    const hash = anchor ? `#${anchor}` : "";
    // The reloaded page scrolls to the annotation itself, not to the old scroll position.
    if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    history.replaceState(null, "", location.pathname + location.search + hash);
    location.reload();
  }

  /* ---------------------------------------------------------------- highlights */

  /** A function mapping a code-point offset of `text` to UTF-16 units, as u16Offset does. */
  function u16Mapper(text) {
    let table = null; // table[n]: the UTF-16 offset of code point n, if any surrogates
    if (/[\ud800-\udbff]/.test(text)) {
      table = [0];
      for (let i = 0; i < text.length; ) {
        const c = text.charCodeAt(i);
        i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
        table.push(i);
      }
    }
    return (cp) => {
      const n = Math.ceil(cp);
      if (!(n > 0)) return 0;
      if (!table) return Math.min(n, text.length);
      return n < table.length ? table[n] : text.length;
    };
  }

  /** Index of the first element of sorted `items` whose key(item) >= value. */
  function lowerBound(items, value, key) {
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(items[mid]) < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The placed root annotations as notes, in panel order, plus what drawing needs to find them
   * fast. From the panel's list of every thread's words: the panel itself shows one window. */
  function collectNotes() {
    const data = document.getElementById("highlight-data");
    const rows = data ? JSON.parse(data.textContent) : [];
    const notes = rows.map(([id, kind, start, end, label], index) => ({ index, id, kind, start, end, label }));
    // Sorted by start: any note overlapping [s, e) starts in [s - longest, e).
    const byStart = notes
      .filter((n) => n.end > n.start)
      .sort((x, y) => x.start - y.start || x.index - y.index);
    const longest = byStart.reduce((m, n) => Math.max(m, n.end - n.start), 0);
    const firstOfId = new Map();
    notes.forEach((n) => {
      if (!firstOfId.has(n.id)) firstOfId.set(n.id, n);
    });
    return { notes, byStart, longest, firstOfId };
  }

  /** The notes overlapping passage p, in panel order, with their UTF-16 [a, b) in its text. */
  function notesIn(p, index, toU16) {
    const byStart = index.byStart;
    const from = lowerBound(byStart, p.start - index.longest, (n) => n.start);
    const to = lowerBound(byStart, p.end, (n) => n.start);
    const here = [];
    for (let i = from; i < to; i++) {
      const n = byStart[i];
      if (n.end <= p.start) continue;
      const a = toU16(Math.max(n.start, p.start) - p.start);
      const b = toU16(Math.min(n.end, p.end) - p.start);
      if (b > a) here.push({ note: n, a, b });
    }
    return here.sort((x, y) => x.note.index - y.note.index);
  }

  /** Wrap every annotated stretch in flat <mark> segments, split at every annotation edge. */
  function drawHighlights() {
    const old = article.querySelectorAll("mark.hl");
    if (old.length) {
      old.forEach((mark) => mark.replaceWith(...mark.childNodes));
      passages.forEach((p) => p.span.normalize());
    }
    const index = collectNotes();
    for (const p of passages) {
      if (!p.toU16) p.toU16 = u16Mapper(p.text);
      const here = notesIn(p, index, p.toU16);
      if (here.length === 0) continue;
      // Boundaries, and for each stretch between two of them the notes covering it.
      const cuts = Array.from(new Set(here.flatMap((x) => [x.a, x.b]))).sort((x, y) => x - y);
      const covers = [];
      for (let k = 0; k + 1 < cuts.length; k++) {
        covers.push(here.filter((x) => x.a <= cuts[k] && x.b >= cuts[k + 1]));
      }
      const firstHere = new Set();
      const marksOf = new Map();
      const makeMark = (covering, text) => {
        const mark = document.createElement("mark");
        const kinds = new Set(covering.map((x) => x.note.kind));
        mark.className = "hl " + Array.from(kinds, (k) => `hl-${k}`).join(" ");
        if (covering.length > 1) mark.classList.add("hl-overlap");
        mark.dataset.annotations = covering.map((x) => x.note.id).join(" ");
        mark.title = covering.map((x) => x.note.label).join("; ");
        for (const x of covering) {
          if (!firstHere.has(x.note.id)) {
            firstHere.add(x.note.id);
            mark.classList.add("hl-start", `hl-start-${x.note.kind}`);
          }
          marksOf.set(x.note.id, mark);
        }
        mark.append(text);
        return mark;
      };
      // One pass over the text nodes: each annotated one is replaced once by its pieces.
      let pos = 0;
      let k = 0; // cuts[k] is the first boundary after the start of the current piece
      for (const node of textNodes(p.span)) {
        const data = node.data;
        const nodeFrom = pos;
        const nodeTo = pos + data.length;
        pos = nodeTo;
        if (nodeTo === nodeFrom) continue;
        while (k < cuts.length && cuts[k] <= nodeFrom) k++;
        if ((k === 0 && (cuts.length === 0 || cuts[0] >= nodeTo)) || k >= cuts.length) continue;
        const pieces = [];
        let at = nodeFrom;
        while (at < nodeTo) {
          const next = k < cuts.length && cuts[k] < nodeTo ? cuts[k] : nodeTo;
          const text = document.createTextNode(data.slice(at - nodeFrom, next - nodeFrom));
          const covering = k > 0 && k < cuts.length ? covers[k - 1] : null;
          if (covering && covering.length) {
            pieces.push(makeMark(covering, text));
          } else {
            pieces.push(text);
          }
          at = next;
          if (next === cuts[k]) k++;
        }
        if (pieces.length === 1 && pieces[0].nodeType === Node.TEXT_NODE) continue;
        node.replaceWith(...pieces);
      }
      marksOf.forEach((mark, id) => {
        const note = index.firstOfId.get(id);
        mark.classList.add("hl-end", `hl-end-${note.kind}`);
      });
    }
    // The first segment of each annotation, in document order, is its keyboard stop.
    const seen = new Set();
    for (const mark of article.querySelectorAll("mark.hl")) {
      for (const id of mark.dataset.annotations.split(" ")) {
        if (seen.has(id)) continue;
        seen.add(id);
        mark.tabIndex = 0;
        mark.dataset.starts = `${mark.dataset.starts ? mark.dataset.starts + " " : ""}${id}`;
      }
    }
    describeMarks();
  }

  /** Point each annotation's first mark at its card's heading, for the cards the panel holds. */
  function describeMarks() {
    for (const mark of article.querySelectorAll("mark.hl[data-starts]")) {
      const heads = mark.dataset.starts
        .split(" ")
        .map((id) => `annotation-${id}-head`)
        .filter((head) => document.getElementById(head));
      if (heads.length) mark.setAttribute("aria-describedby", heads.join(" "));
      else mark.removeAttribute("aria-describedby");
    }
  }

  /* ---------------------------------------------------------------- the panel's windows */

  const threadWindow = () => document.getElementById("thread-window");

  /** Fetch a window of threads (the panel's HTML for them) from the server. */
  async function fetchWindow(params) {
    const shown = threadWindow();
    if (!shown) return null;
    const url = new URL(shown.dataset.url, location.href);
    Object.entries(params).forEach(([key, value]) => url.searchParams.set(key, value));
    const response = await fetch(url, { headers: { Accept: "text/html" } });
    if (!response.ok) return null;
    const holder = document.createElement("template");
    holder.innerHTML = await response.text();
    return holder.content.querySelector(".thread-window");
  }

  /** Show more threads: the window at start, put before or after those shown. */
  async function loadMore(link) {
    link.setAttribute("aria-disabled", "true");
    const loaded = await fetchWindow({ threads: link.dataset.threadsStart }).catch(() => null);
    const shown = threadWindow();
    if (!loaded || !shown) {
      link.removeAttribute("aria-disabled");
      const place = link.closest(".threads-more");
      let note = place.querySelector(".threads-error");
      if (!note) {
        note = document.createElement("span");
        note.className = "threads-error";
        note.setAttribute("role", "status");
        place.append(note);
      }
      note.textContent = "Those annotations could not be loaded. Try again.";
      return;
    }
    const list = shown.querySelector("ol.threads");
    const items = Array.from(loaded.querySelector("ol.threads").children);
    const before = link.dataset.threadsPlace === "before";
    const nav = loaded.querySelector(before ? ".threads-earlier" : ".threads-later");
    const first = items[0] && items[0].querySelector("article.annotation");
    if (before) {
      list.prepend(...items);
      shown.dataset.start = loaded.dataset.start;
    } else {
      list.append(...items);
      shown.dataset.end = loaded.dataset.end;
    }
    link.closest(".threads-more").replaceWith(...(nav ? [nav] : []));
    describeMarks();
    if (first) focusCard(first); // where the reader goes on from
  }

  /** The card of an annotation, fetching the window of threads that holds it if need be. */
  async function ensureCard(aid) {
    const card = document.getElementById(`annotation-${aid}`);
    if (card || !threadWindow()) return card;
    const loaded = await fetchWindow({ around: aid }).catch(() => null);
    if (!loaded) return null;
    threadWindow().replaceWith(loaded);
    describeMarks();
    return document.getElementById(`annotation-${aid}`);
  }

  function textNodes(root) {
    const out = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) out.push(node);
    return out;
  }

  function marksFor(aid) {
    return Array.from(article.querySelectorAll("mark.hl")).filter((m) =>
      m.dataset.annotations.split(" ").includes(aid)
    );
  }

  function rootOf(card) {
    if (!card.dataset.parent) return card;
    const thread = card.closest("li.thread");
    return (thread && thread.querySelector("article.annotation")) || card;
  }

  function activateHighlight(aid, scroll) {
    article.querySelectorAll("mark.hl.is-active").forEach((m) => m.classList.remove("is-active"));
    const marks = marksFor(aid);
    marks.forEach((m) => m.classList.add("is-active"));
    if (scroll && marks.length) {
      const body = marks.find((m) => !m.closest(".pullquote")) || marks[0];
      body.scrollIntoView({ block: "center", behavior: "auto" });
    }
    return marks;
  }

  function focusCard(card, options) {
    if (!card) return;
    panel.querySelectorAll(".annotation.is-focused").forEach((c) => c.classList.remove("is-focused"));
    card.classList.add("is-focused");
    scrollPanelTo(card);
    card.focus({ preventScroll: !(options && options.scrollPage) });
    holdInPlace(card);
  }

  /* Cards out of view skip rendering (content-visibility in annotator.css) and count at an
   * estimated height, so the cards around one just scrolled to change height as they render in
   * the next frames. Until they settle, keep the card where scrolling put it. */
  let releaseHeld = null;
  function holdInPlace(card) {
    if (releaseHeld) releaseHeld();
    const list = card.closest(".threads");
    if (!list || !("ResizeObserver" in window)) return;
    const scroller = panel.scrollHeight > panel.clientHeight + 1 ? panel : document.scrollingElement;
    const where = card.getBoundingClientRect().top;
    const observer = new ResizeObserver(() => {
      const drift = card.getBoundingClientRect().top - where;
      if (Math.abs(drift) >= 1) scroller.scrollTop += drift;
    });
    observer.observe(list);
    let frames = 0;
    let pending = 0;
    const tick = () => {
      frames += 1;
      pending = frames < 4 ? requestAnimationFrame(tick) : 0;
      if (!pending) release();
    };
    const release = () => {
      cancelAnimationFrame(pending);
      observer.disconnect();
      if (releaseHeld === release) releaseHeld = null;
    };
    releaseHeld = release;
    pending = requestAnimationFrame(tick);
  }

  /** Scroll the panel (its own scroll box on wide screens) so the card shows. */
  function scrollPanelTo(card) {
    if (panel.scrollHeight > panel.clientHeight + 1) {
      const top = card.getBoundingClientRect().top - panel.getBoundingClientRect().top + panel.scrollTop;
      panel.scrollTop = Math.max(0, top - 16);
    }
  }

  function onMarkActivate(mark) {
    const ids = mark.dataset.annotations.split(" ");
    // Clicking an overlap again moves on to the next annotation there.
    const focused = panel.querySelector(".annotation.is-focused");
    const index = focused ? ids.indexOf(focused.dataset.annotation) : -1;
    const aid = ids[(index + 1) % ids.length];
    activateHighlight(aid, false);
    ensureCard(aid).then((card) => focusCard(card, { scrollPage: NARROW.matches }));
  }

  function showFromHash() {
    const claim = /^#claim-(\d+)$/.exec(location.hash);
    if (claim) {
      showClaimBadge(document.getElementById(`claim-${claim[1]}`));
      return;
    }
    const match = /^#annotation-([0-9a-f]+)$/.exec(location.hash);
    if (!match) return;
    const card = document.getElementById(`annotation-${match[1]}`);
    if (!card) {
      // Outside the window of threads shown: fetch the one holding it, then show it.
      ensureCard(match[1]).then((found) => found && showFromHash());
      return;
    }
    const collapsed = card.closest("details:not([open])");
    if (collapsed) collapsed.open = true; // e.g. "Kept on an earlier version"
    const root = rootOf(card);
    activateHighlight(root.dataset.annotation, true);
    focusCard(card, { scrollPage: marksFor(root.dataset.annotation).length === 0 });
  }

  /** Bring a claim's badge in the text into view and focus it (e.g. just re-attached there). */
  function showClaimBadge(badge) {
    if (!badge || !article.contains(badge)) return;
    if (!badge.matches("a[href]")) badge.tabIndex = -1; // "Under review" is a plain span
    badge.scrollIntoView({ block: "center" });
    badge.focus({ preventScroll: true });
  }

  /* ---------------------------------------------------------------- the toolbar */

  let current = null; // the described selection the toolbar acts on
  const toolbar = document.getElementById("selection-toolbar") || buildSignInToolbar();

  function buildSignInToolbar() {
    const bar = document.createElement("div");
    bar.id = "selection-toolbar";
    bar.className = "selection-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Selection");
    bar.hidden = true;
    const link = document.createElement("a");
    link.href = article.dataset.login || "/login";
    link.textContent = "Sign in to annotate";
    bar.append(link);
    document.body.append(bar);
    return bar;
  }

  function showToolbar(info) {
    current = info;
    if (toolbar.parentElement !== info.passage.el.parentElement || toolbar.previousElementSibling !== info.passage.el) {
      info.passage.el.after(toolbar); // next in the Tab order after the passage
    }
    toolbar.hidden = false;
    placeToolbar(info.rect);
  }

  function placeToolbar(rect) {
    const width = toolbar.offsetWidth;
    const height = toolbar.offsetHeight;
    const parent = toolbar.offsetParent;
    const origin =
      parent && parent !== document.body && parent !== document.documentElement
        ? parent.getBoundingClientRect()
        : { top: -window.scrollY, left: -window.scrollX };
    let top = rect.top - height - 10;
    if (top < 8) top = rect.bottom + 10;
    let left = rect.left + rect.width / 2 - width / 2;
    left = Math.max(8, Math.min(left, document.documentElement.clientWidth - width - 8));
    toolbar.style.top = `${Math.round(top - origin.top)}px`;
    toolbar.style.left = `${Math.round(left - origin.left)}px`;
  }

  function hideToolbar() {
    toolbar.hidden = true;
    current = null;
  }

  function isTyping(el) {
    return !!(el && el.closest && el.closest("input, textarea, select, [contenteditable]"));
  }

  let selectionTimer = 0;
  function checkSelection(fromPointer) {
    clearTimeout(selectionTimer);
    if (isTyping(document.activeElement)) return;
    const info = describeSelection();
    if (reattaching) {
      selectedForReattach(info, fromPointer);
      return;
    }
    if (info) showToolbar(info);
    else if (!toolbar.contains(document.activeElement)) hideToolbar();
  }
  function checkSelectionSoon(delay, fromPointer) {
    clearTimeout(selectionTimer);
    selectionTimer = setTimeout(() => checkSelection(fromPointer), delay);
  }

  let pointerDown = false; // no toolbar while a drag is still selecting
  document.addEventListener("mousedown", (event) => {
    pointerDown = event.button === 0 && !toolbar.contains(event.target);
  });
  document.addEventListener("mouseup", (event) => {
    pointerDown = false;
    if (!toolbar.contains(event.target)) checkSelectionSoon(0, event.button === 0);
  });
  document.addEventListener("keyup", (event) => {
    const key = event.key || "";
    if (key === "Shift" || key.startsWith("Arrow") || key === "Home" || key === "End") checkSelectionSoon(0);
  });
  document.addEventListener("selectionchange", () => {
    if (!pointerDown) checkSelectionSoon(200);
  });
  window.addEventListener("resize", () => {
    if (!toolbar.hidden && current) {
      const info = describeSelection();
      if (info) placeToolbar(info.rect);
    }
  });
  // Keep the selection when a toolbar button is pressed.
  toolbar.addEventListener("mousedown", (event) => {
    if (event.target.closest("button")) event.preventDefault();
  });
  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-command]");
    if (button) runCommand(button.dataset.command);
  });

  function runCommand(command) {
    if (reattaching) return;
    const info = current || describeSelection();
    if (!info || (isOldVersion && user)) return;
    if (!user) {
      showToolbar(info);
      const link = toolbar.querySelector("a");
      if (link) link.focus();
      return;
    }
    if (command === "annotate") openNewEditor(info, "commenting");
    else if (command === "flag") openNewEditor(info, "assessing");
    else if (command === "highlight") saveHighlight(info);
  }

  /* ---------------------------------------------------------------- pending highlight */

  function showPending(info) {
    if (!(window.CSS && CSS.highlights && window.Highlight)) return;
    const ranges = passages.map((p) => rangeIn(p, info.start, info.end)).filter(Boolean);
    CSS.highlights.set("pending-annotation", new Highlight(...ranges));
  }

  function clearPending() {
    if (window.CSS && CSS.highlights) CSS.highlights.delete("pending-annotation");
  }

  /* ---------------------------------------------------------------- the editor */

  let editor = null; // the open full editor form

  function target(info) {
    return {
      source: article.dataset.sourceIri,
      selector: [
        { type: "TextQuoteSelector", exact: info.exact, prefix: info.prefix, suffix: info.suffix },
        { type: "TextPositionSelector", start: info.start, end: info.end },
      ],
    };
  }

  function audience(value) {
    const match = /^group:(\d+)$/.exec(value || "");
    if (match) return { visibility: "group", group: Number(match[1]) };
    return { visibility: value === "public" ? "public" : "private" };
  }

  async function saveHighlight(info) {
    try {
      const saved = await api("POST", article.dataset.api, {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        type: "Annotation",
        motivation: "highlighting",
        target: target(info),
        visibility: "private",
      });
      reloadAt(idFromIri(saved.id));
    } catch (err) {
      flash(err.message);
    }
  }

  /** A transient message near the toolbar (for errors outside an editor). */
  function flash(message) {
    let box = document.getElementById("annotator-status");
    if (!box) {
      box = document.createElement("p");
      box.id = "annotator-status";
      box.className = "annotator-status";
      box.setAttribute("role", "alert");
      document.body.append(box);
    }
    box.textContent = message;
    box.hidden = false;
    setTimeout(() => {
      box.hidden = true;
    }, 6000);
  }

  function cloneEditor() {
    const template = document.getElementById("editor-template");
    if (!template) return null;
    closeEditor();
    const form = template.content.firstElementChild.cloneNode(true);
    wireEditor(form);
    editor = form;
    return form;
  }

  function openNewEditor(info, motivation) {
    const form = cloneEditor();
    if (!form) return;
    form.dataset.mode = "new";
    form.dataset.motivation = motivation;
    form.classList.add(`editor-${MOTIVATION_KIND[motivation]}`);
    const textarea = form.querySelector("textarea[name=body]");
    if (motivation === "assessing") {
      form.querySelector(".editor-title").textContent = "Flag a claim";
      textarea.placeholder = "Why is this disputable? (optional)";
    }
    form.querySelector(".editor-quote").textContent = info.exact;
    const select = form.querySelector("select[name=visibility]");
    const wanted = article.dataset.defaultVisibility || "private";
    if (Array.from(select.options).some((o) => o.value === wanted)) select.value = wanted;
    if (motivation === "assessing") form.querySelector(".editor-claim").hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (motivation === "assessing") {
        submitFlag(form, info);
      } else {
        submit(form, "POST", article.dataset.api, newAnnotationJson(form, info, motivation));
      }
    });
    form.selection = info;
    showPending(info);
    placeEditor(form, info.passage.el);
    hideToolbar();
    window.getSelection().removeAllRanges();
    textarea.focus();
  }

  /** Wide screens: the top of the margin panel; narrow screens: right below the passage. */
  function placeEditor(form, passageEl) {
    form.returnFocus = passageEl;
    if (NARROW.matches || !panel) {
      const anchor = passageEl.closest(".document-header") || passageEl;
      const next = anchor.nextElementSibling;
      anchor.after(form);
      if (next === toolbar) form.after(toolbar);
      form.scrollIntoView({ block: "nearest" });
    } else {
      const head = panel.querySelector(".panel-head");
      head.after(form);
      panel.scrollTop = 0;
    }
  }

  function wireEditor(form) {
    const textarea = form.querySelector("textarea[name=body]");
    const preview = form.querySelector(".editor-preview");
    const tabs = Array.from(form.querySelectorAll("[data-tab]"));
    tabs.forEach((tab) => {
      tab.addEventListener("click", async () => {
        const showPreview = tab.dataset.tab === "preview";
        tabs.forEach((t) => t.setAttribute("aria-selected", String(t === tab)));
        textarea.hidden = showPreview;
        preview.hidden = !showPreview;
        if (!showPreview) {
          textarea.focus();
          return;
        }
        preview.textContent = "Rendering…";
        try {
          const data = await api("POST", article.dataset.preview, { markdown: textarea.value }, "application/json");
          // The HTML comes sanitized from the server's own Markdown renderer.
          preview.innerHTML = data.html || '<p class="muted">Nothing to preview.</p>';
        } catch (err) {
          preview.textContent = err.message;
        }
      });
    });
    const addSource = form.querySelector("[data-command=add-source]");
    if (addSource) {
      addSource.addEventListener("click", () => {
        const block = addSourceFields(form);
        block.querySelector("input[name=url]").focus();
      });
    }
    form.querySelector("[data-command=cancel]").addEventListener("click", () => closeEditor(true));
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        closeEditor(true);
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  function addSourceFields(form, values) {
    const template = document.getElementById("source-template");
    const block = template.content.firstElementChild.cloneNode(true);
    const list = form.querySelector(".source-list");
    list.append(block);
    block.querySelector("[data-command=remove-source]").addEventListener("click", () => {
      block.remove();
      const add = form.querySelector("[data-command=add-source]");
      if (add) add.focus();
    });
    if (values) {
      Object.entries(values).forEach(([name, value]) => {
        const field = block.querySelector(`[name=${name}]`);
        if (field && value !== undefined && value !== null) field.value = value;
      });
    }
    return block;
  }

  function closeEditor(restoreFocus) {
    if (!editor) return;
    const back = editor.returnFocus;
    const info = editor.selection;
    editor.remove();
    editor = null;
    clearPending();
    if (!restoreFocus) return;
    if (back && document.contains(back)) back.focus({ preventScroll: true });
    if (info) reselect(info); // cancelling returns to the selection, toolbar and all
  }

  /** Select [info.start, info.end) again in the DOM, from its first to its last passage. */
  function reselect(info) {
    const within = info.passage.isPullquote ? [info.passage] : bodyPassages;
    const first = within.find((p) => p.end > info.start) || info.passage;
    const last = within.filter((p) => p.start < info.end).pop() || info.passage;
    const from = rangeIn(first, info.start, first.end);
    const to = rangeIn(last, last.start, info.end);
    if (!from || !to) return;
    const range = document.createRange();
    range.setStart(from.startContainer, from.startOffset);
    range.setEnd(to.endContainer, to.endOffset);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    checkSelection();
  }

  function field(root, name) {
    const el = root.querySelector(`[name=${name}]`);
    return el ? el.value.trim() : "";
  }

  function bodiesOf(form, purpose) {
    const bodies = [];
    const text = form.querySelector("textarea[name=body]").value;
    if (text.trim()) bodies.push({ type: "TextualBody", value: text, format: "text/markdown", purpose });
    field(form, "tags")
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean)
      .forEach((tag) => bodies.push({ type: "TextualBody", value: tag, purpose: "tagging" }));
    form.querySelectorAll(".source-list > li").forEach((block) => {
      const url = field(block, "url");
      const title = field(block, "title");
      const optional = ["publisher", "published", "excerpt", "locator", "accessed", "authors"];
      if (!url && !title && optional.every((n) => !field(block, n))) return;
      const source = { id: url, title };
      const authors = field(block, "authors")
        .split(";")
        .map((a) => a.trim())
        .filter(Boolean);
      if (authors.length) source.author = authors;
      if (field(block, "publisher")) source.publisher = field(block, "publisher");
      if (field(block, "published")) source.published = field(block, "published");
      const body = { type: "SpecificResource", purpose: "linking", source, stance: field(block, "stance") || "context" };
      ["accessed", "excerpt", "locator"].forEach((name) => {
        if (field(block, name)) body[name] = field(block, name);
      });
      bodies.push(body);
    });
    return bodies;
  }

  function newAnnotationJson(form, info, motivation) {
    return Object.assign(
      {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        type: "Annotation",
        motivation,
        body: bodiesOf(form, motivation === "assessing" ? "assessing" : "commenting"),
        target: target(info),
      },
      audience(field(form, "visibility"))
    );
  }

  /** A flag: the claim and the flagger's own "assessing" note, created together by the server. */
  function flagJson(form, info) {
    const evidence = [];
    form.querySelectorAll(".source-fields").forEach((block) => {
      const item = { url: field(block, "url"), title: field(block, "title"), stance: field(block, "stance") || "context" };
      ["publisher", "published", "excerpt", "locator", "accessed"].forEach((name) => {
        if (field(block, name)) item[name] = field(block, name);
      });
      const authors = field(block, "authors").split(";").map((a) => a.trim()).filter(Boolean);
      if (authors.length) item.authors = authors;
      evidence.push(item);
    });
    return Object.assign(
      {
        document: article.dataset.document,
        selector: target(info).selector,
        claim_type: field(form, "claim_type") || "other",
        reason: field(form, "body"),
        evidence,
      },
      audience(field(form, "visibility"))
    );
  }

  function submitFlag(form, info) {
    return submit(form, "POST", article.dataset.claims, flagJson(form, info), null, "annotation");
  }

  async function submit(form, method, url, json, aidAfter, idField) {
    const error = form.querySelector(".editor-error");
    const save = form.querySelector("button[type=submit]");
    error.hidden = true;
    save.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const saved = await api(method, url, json, idField ? "application/json" : undefined);
      reloadAt(aidAfter || (idField ? saved && saved[idField] : idFromIri(saved && saved.id)));
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      save.disabled = false;
      form.removeAttribute("aria-busy");
      const culprit = err.field && /^body/.test(err.field) ? form.querySelector("textarea") : null;
      if (culprit) culprit.focus();
    }
  }

  /* ---------------------------------------------------------------- card actions */

  function inlineForm(card, className) {
    card.querySelectorAll(":scope > .card-form").forEach((f) => f.remove());
    const form = document.createElement("form");
    form.className = `card-form ${className}`;
    form.noValidate = true;
    card.append(form);
    return form;
  }

  function button(label, type, extra) {
    const b = document.createElement("button");
    b.type = type || "button";
    b.textContent = label;
    if (extra) b.className = extra;
    return b;
  }

  function errorLine() {
    const p = document.createElement("p");
    p.className = "editor-error error";
    p.setAttribute("role", "alert");
    p.hidden = true;
    return p;
  }

  let replyCount = 0;
  function bodyOnlyForm(card, className, labelText, value, onSave) {
    const form = inlineForm(card, className);
    const id = `inline-body-${++replyCount}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.className = "visually-hidden";
    label.textContent = labelText;
    const textarea = document.createElement("textarea");
    textarea.id = id;
    textarea.name = "body";
    textarea.rows = 3;
    textarea.value = value || "";
    textarea.placeholder = "Write a reply (Markdown works)";
    const buttons = document.createElement("div");
    buttons.className = "editor-buttons";
    const cancel = button("Cancel");
    buttons.append(button("Save", "submit", "primary"), cancel);
    form.append(label, textarea, errorLine(), buttons);
    cancel.addEventListener("click", () => {
      form.remove();
      card.focus();
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        form.remove();
        card.focus();
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!textarea.value.trim()) {
        const error = form.querySelector(".editor-error");
        error.textContent = "Write something first.";
        error.hidden = false;
        textarea.focus();
        return;
      }
      onSave(form, textarea.value);
    });
    textarea.focus();
    return form;
  }

  function openReply(card) {
    const aid = card.dataset.annotation;
    const parentIri = new URL(annotationUrl(aid), location.href).href;
    bodyOnlyForm(card, "reply-form", "Your reply (Markdown)", "", (form, text) =>
      submit(form, "POST", article.dataset.api, {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        type: "Annotation",
        motivation: "replying",
        body: [{ type: "TextualBody", value: text, format: "text/markdown", purpose: "replying" }],
        target: parentIri,
      })
    );
  }

  async function openEdit(card) {
    const aid = card.dataset.annotation;
    let data;
    try {
      data = await api("GET", annotationUrl(aid));
    } catch (err) {
      flash(err.message);
      return;
    }
    const bodies = Array.isArray(data.body) ? data.body : data.body ? [data.body] : [];
    const text = bodies.find((b) => b.type === "TextualBody" && b.purpose !== "tagging");
    const isModerator = card.dataset.editable === "moderate";
    if (card.dataset.parent) {
      bodyOnlyForm(card, "reply-form edit-form", "Edit your reply (Markdown)", text ? text.value : "", (form, value) => {
        const json = { body: [{ type: "TextualBody", value, format: "text/markdown", purpose: "replying" }] };
        if (isModerator) json.reason = "moderator edit";
        submit(form, "PUT", annotationUrl(aid), json, aid);
      });
      return;
    }
    const form = cloneEditor();
    if (!form) return;
    form.dataset.mode = "edit";
    const kind = MOTIVATION_KIND[data.motivation] || "comment";
    form.classList.add(`editor-${kind}`);
    form.querySelector(".editor-title").textContent = kind === "claim" ? "Edit flagged claim" : `Edit ${kind}`;
    const selectors = (data.target && data.target.selector) || [];
    const quote = selectors.find((s) => s.type === "TextQuoteSelector");
    form.querySelector(".editor-quote").textContent = quote ? quote.exact : "";
    form.querySelector("textarea[name=body]").value = text ? text.value : "";
    form.querySelector("input[name=tags]").value = bodies
      .filter((b) => b.purpose === "tagging")
      .map((b) => b.value)
      .join(", ");
    bodies
      .filter((b) => b.type === "SpecificResource")
      .forEach((b) => {
        const src = b.source || {};
        addSourceFields(form, {
          url: src.id,
          title: src.title,
          authors: (src.author || []).join("; "),
          publisher: src.publisher,
          published: src.published,
          excerpt: b.excerpt,
          locator: b.locator,
          accessed: b.accessed,
          stance: b.stance,
        });
      });
    const select = form.querySelector("select[name=visibility]");
    const value = data.visibility === "group" ? `group:${idFromIri(data.group)}` : data.visibility;
    if (Array.from(select.options).some((o) => o.value === value)) select.value = value;
    const reason = form.querySelector(".editor-reason");
    if (isModerator && reason) {
      reason.hidden = false;
      reason.querySelector("input").required = true;
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const json = Object.assign(
        { body: bodiesOf(form, data.motivation === "assessing" ? "assessing" : "commenting") },
        audience(field(form, "visibility"))
      );
      if (isModerator) {
        json.reason = field(form, "reason");
        if (!json.reason) {
          const error = form.querySelector(".editor-error");
          error.textContent = "Give a reason for the moderator edit.";
          error.hidden = false;
          return;
        }
      }
      submit(form, "PUT", annotationUrl(aid), json, aid);
    });
    form.returnFocus = card;
    card.after(form);
    form.querySelector("textarea[name=body]").focus();
  }

  function openDelete(card, moderate) {
    const aid = card.dataset.annotation;
    const form = inlineForm(card, "confirm-form");
    const text = document.createElement("p");
    text.className = "confirm-text";
    form.append(text);
    let reason = null;
    if (moderate) {
      text.textContent = "Remove this annotation? Say why; the reason is shown in its place.";
      const label = document.createElement("label");
      label.textContent = "Reason ";
      reason = document.createElement("input");
      reason.type = "text";
      reason.name = "reason";
      reason.maxLength = 500;
      reason.required = true;
      label.append(reason);
      form.append(label);
    } else {
      text.textContent = "Delete this annotation?";
    }
    const buttons = document.createElement("div");
    buttons.className = "editor-buttons";
    const confirm = button(moderate ? "Remove" : "Delete", "submit", "danger-button");
    const cancel = button("Cancel");
    buttons.append(confirm, cancel);
    form.append(errorLine(), buttons);
    cancel.addEventListener("click", () => {
      form.remove();
      card.focus();
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        form.remove();
        card.focus();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = form.querySelector(".editor-error");
      let url = annotationUrl(aid);
      if (moderate) {
        if (!reason.value.trim()) {
          error.textContent = "Give a reason for removing it.";
          error.hidden = false;
          reason.focus();
          return;
        }
        url += `?reason=${encodeURIComponent(reason.value.trim())}`;
      }
      confirm.disabled = true;
      try {
        await api("DELETE", url);
        reloadAt(aid);
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
        confirm.disabled = false;
      }
    });
    (reason || confirm).focus();
  }

  if (panel) {
    panel.addEventListener("click", (event) => {
      const more = event.target.closest("a[data-threads-start]");
      if (more) {
        event.preventDefault();
        if (more.getAttribute("aria-disabled") !== "true") loadMore(more);
        return;
      }
      const reattach = event.target.closest("[data-reattach]");
      if (reattach) {
        event.preventDefault();
        if (reattaching && reattaching.trigger === reattach) stopReattach(true);
        else startReattach(reattach);
        return;
      }
      const action = event.target.closest("[data-action]");
      const card = event.target.closest("article.annotation");
      if (action && card) {
        event.preventDefault();
        const name = action.dataset.action;
        if (name === "reply") openReply(card);
        else if (name === "edit") openEdit(card);
        else if (name === "delete") openDelete(card, false);
        else if (name === "moderate") openDelete(card, true);
        return;
      }
      const goto = event.target.closest("[data-goto-highlight]");
      if (goto) {
        event.preventDefault();
        const aid = goto.dataset.gotoHighlight;
        activateHighlight(aid, true);
        focusCard(document.getElementById(`annotation-${aid}`));
        return;
      }
      if (!card || event.target.closest("a, button, input, textarea, select, form, summary, label")) return;
      const root = rootOf(card);
      activateHighlight(root.dataset.annotation, true);
      focusCard(card);
    });
  }

  article.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.hl");
    if (!mark) return;
    const sel = window.getSelection();
    if (sel && !sel.isCollapsed) return; // the click ended a text selection
    onMarkActivate(mark);
  });
  article.addEventListener("keydown", (event) => {
    if (reattaching) return; // Enter re-attaches to the selection (below)
    const mark = event.target.closest && event.target.closest("mark.hl");
    if (mark && event.key === "Enter") {
      event.preventDefault();
      onMarkActivate(mark);
    }
  });

  /* ---------------------------------------------------------------- keyboard */

  let focusedPassage = null;
  passages.forEach((p) => {
    p.el.tabIndex = -1;
    p.el.addEventListener("focus", () => {
      focusedPassage = p;
    });
  });

  /** The passage keys act on: the focused one, else the selection's, else the last focused. */
  function activePassage() {
    const fromFocus = passageOf(document.activeElement);
    if (fromFocus) return fromFocus;
    const sel = window.getSelection();
    const fromSelection = sel && sel.rangeCount && !sel.isCollapsed ? passageOf(sel.getRangeAt(0).startContainer) : null;
    return fromSelection || focusedPassage;
  }

  function movePassage(step) {
    const base = activePassage();
    let index = base ? passages.indexOf(base) + step : step > 0 ? 0 : passages.length - 1;
    index = Math.max(0, Math.min(index, passages.length - 1));
    const p = passages[index];
    if (!p) return;
    focusedPassage = p;
    p.el.focus({ preventScroll: true });
    p.el.scrollIntoView({ block: "nearest" });
  }

  /** Sentence spans [a, b) in UTF-16 units of a passage's text, trailing spaces trimmed. */
  function sentenceSpans(p) {
    const spans = [];
    if (sentences) {
      for (const seg of sentences.segment(p.text)) {
        const trimmed = seg.segment.replace(/\s+$/u, "");
        const lead = trimmed.length - trimmed.replace(/^\s+/u, "").length;
        if (trimmed.length > lead) spans.push([seg.index + lead, seg.index + trimmed.length]);
      }
    } else {
      const re = /[^.!?]+[.!?]*/g;
      for (let m = re.exec(p.text); m; m = re.exec(p.text)) {
        const s = m[0].trim();
        if (s) spans.push([m.index + m[0].indexOf(s), m.index + m[0].indexOf(s) + s.length]);
      }
    }
    return spans;
  }

  /** The current selection's UTF-16 [a, b) within passage p, or null if it is elsewhere. */
  function selectionIn(p) {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    if (passageOf(range.startContainer) !== p) return null;
    const a = offsetInPassage(p, range.startContainer, range.startOffset);
    const b = offsetInPassage(p, range.endContainer, range.endOffset);
    return a === null || b === null ? null : [a, b];
  }

  function selectSentence(step, extend) {
    const p = activePassage() || bodyPassages.find((x) => x.el.matches("p"));
    if (!p) return;
    const spans = sentenceSpans(p);
    if (spans.length === 0) return;
    const now = selectionIn(p);
    let a;
    let b;
    if (extend && now) {
      const next = spans.find((s) => s[1] > now[1]);
      if (!next) return;
      [a, b] = [now[0], next[1]];
    } else {
      let pick;
      if (!now) pick = step > 0 ? spans[0] : spans[spans.length - 1];
      else if (step > 0) pick = spans.find((s) => s[0] >= now[1]) || spans[spans.length - 1];
      else pick = spans.slice().reverse().find((s) => s[1] <= now[0]) || spans[0];
      [a, b] = pick;
    }
    const from = pointAt(p, a);
    const to = pointAt(p, b);
    const range = document.createRange();
    range.setStart(from.node, from.offset);
    range.setEnd(to.node, to.offset);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    focusedPassage = p;
    checkSelection();
    revealSelection(range);
  }

  /** Scroll a keyboard selection and its toolbar into view (a mouse selection is in view). */
  function revealSelection(range) {
    const box = range.getBoundingClientRect();
    const bar = toolbar.hidden ? box : toolbar.getBoundingClientRect();
    const top = Math.min(box.top, bar.top) - 16;
    const bottom = Math.max(box.bottom, bar.bottom) + 16;
    let dy = 0;
    if (top < 0) dy = top;
    else if (bottom > window.innerHeight) dy = Math.min(bottom - window.innerHeight, top);
    if (dy) window.scrollBy(0, dy);
  }

  document.addEventListener("keydown", (event) => {
    if (reattaching && event.key === "Escape") {
      event.preventDefault();
      stopReattach(true);
      return;
    }
    if (reattaching && event.key === "Enter" && !event.target.closest("a, button, input, textarea, select, summary")) {
      const info = describeSelection();
      if (info) {
        event.preventDefault();
        sendReattach(info);
      }
      return;
    }
    if (event.key === "Escape") {
      if (editor) {
        closeEditor(true);
      } else if (!toolbar.hidden || !window.getSelection().isCollapsed) {
        window.getSelection().removeAllRanges();
        hideToolbar();
        if (focusedPassage) focusedPassage.el.focus({ preventScroll: true });
      }
      return;
    }
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
    if (isTyping(event.target)) return;
    const key = event.key;
    const handled = {
      j: () => movePassage(1),
      k: () => movePassage(-1),
      n: () => selectSentence(1, false),
      p: () => selectSentence(-1, false),
      N: () => selectSentence(1, true),
      a: () => runCommand("annotate"),
      h: () => runCommand("highlight"),
      f: () => runCommand("flag"),
    }[key];
    if (!handled) return;
    if (key !== "N" && event.shiftKey) return;
    event.preventDefault();
    handled();
  });

  /* ---------------------------------------------------------------- re-attaching an orphan */

  // While set ({id, kind, url, version, trigger, busy}), the next selection in the text
  // re-attaches that orphan (an annotation, or a claim for reviewers) instead of opening the
  // toolbar. A mouse selection is sent when the button is released; a keyboard one (j/k, n,
  // Shift+N, Shift+arrows) when Enter is pressed. The trigger button carries the orphan:
  // data-reattach (its id), data-url, and for a claim data-reattach-kind="claim" and
  // data-version (the claim version the page was rendered with: a stale one gets a 409).
  let reattaching = null;
  let reattachBox = null;

  function reattachStatus() {
    if (reattachBox) return reattachBox;
    reattachBox = document.createElement("div");
    reattachBox.id = "reattach-status";
    reattachBox.className = "reattach-status";
    reattachBox.hidden = true;
    const message = document.createElement("p");
    message.className = "reattach-message";
    message.setAttribute("role", "status");
    const cancel = button("Cancel");
    cancel.addEventListener("click", () => stopReattach(true));
    reattachBox.append(message, errorLine(), cancel);
    document.body.append(reattachBox);
    return reattachBox;
  }

  function sayReattach(text) {
    const message = reattachStatus().querySelector(".reattach-message");
    // Changed after the box shows, so screen readers announce it.
    requestAnimationFrame(() => {
      message.textContent = text;
    });
  }

  function reattachError(text) {
    const error = reattachStatus().querySelector(".editor-error");
    error.textContent = text;
    error.hidden = !text;
  }

  function shortQuote(text) {
    return text.length > 60 ? `${text.slice(0, 57).trimEnd()}…` : text;
  }

  function startReattach(trigger) {
    stopReattach(false);
    closeEditor(false);
    hideToolbar();
    window.getSelection().removeAllRanges();
    const kind = trigger.dataset.reattachKind === "claim" ? "claim" : "annotation";
    const version = trigger.dataset.version ? Number(trigger.dataset.version) : null;
    reattaching = { id: trigger.dataset.reattach, kind, url: trigger.dataset.url, version, trigger, busy: false };
    trigger.setAttribute("aria-pressed", "true");
    document.body.classList.add("is-reattaching");
    reattachStatus().hidden = false;
    reattachError("");
    sayReattach(
      `Select the words to re-attach the ${kind} to: drag over them, or use the keyboard ` +
        "(j/k, n, Shift+N) and press Enter. Escape cancels."
    );
  }

  function stopReattach(restoreFocus) {
    if (!reattaching) return;
    const trigger = reattaching.trigger;
    reattaching = null;
    trigger.setAttribute("aria-pressed", "false");
    document.body.classList.remove("is-reattaching");
    reattachStatus().hidden = true;
    clearPending();
    if (restoreFocus && document.contains(trigger)) trigger.focus();
  }

  function selectedForReattach(info, fromPointer) {
    hideToolbar();
    if (!info || reattaching.busy) return;
    if (fromPointer) sendReattach(info);
    else sayReattach(`Press Enter to re-attach to “${shortQuote(info.exact)}”, or Escape to cancel.`);
  }

  /** Post the selection (quote, context and position, in code points) to the orphan's endpoint. */
  async function sendReattach(info) {
    const state = reattaching;
    if (!state || state.busy) return;
    state.busy = true;
    showPending(info);
    reattachError("");
    sayReattach(`Re-attaching to “${shortQuote(info.exact)}”…`);
    const body = { selector: target(info).selector };
    if (state.version !== null) body.version = state.version;
    try {
      await api("POST", state.url, body, "application/json");
      // A claim shows as its badge in the text; an annotation as its card (and highlight).
      if (state.kind === "claim") reloadTo(`claim-${state.id}`);
      else reloadAt(state.id);
    } catch (err) {
      state.busy = false;
      clearPending();
      reattachError(err.message);
      sayReattach("Select other words, or press Escape to cancel.");
    }
  }

  /* ---------------------------------------------------------------- start */

  if (panel && user && !isOldVersion) {
    // Without this script the typed-words form beside each button does the same job.
    panel.querySelectorAll("[data-reattach]").forEach((b) => {
      b.hidden = false;
      b.setAttribute("aria-pressed", "false");
    });
  }

  if (isOldVersion && toolbar.querySelector("button")) {
    // Older versions are for reading: annotations anchor to the current text.
    toolbar.querySelectorAll("button").forEach((b) => {
      b.disabled = true;
      b.title = "Annotate the current version of this document";
    });
  }
  // An older version's panel carries the anchors of that version, so its marks are drawn too.
  drawHighlights();
  // For tests and the benchmark: when (ms since navigation start) every highlight was drawn.
  document.documentElement.dataset.highlightsAt = String(Math.round(performance.now()));
  document.documentElement.dataset.highlights = "drawn";
  showFromHash();
  window.addEventListener("hashchange", showFromHash);
  window.addEventListener("load", showFromHash, { once: true });
})();
