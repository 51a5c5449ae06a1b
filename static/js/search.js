/* The search page: Pagefind's JavaScript API under the site's own results, so that each result reads as a news
   item (headline, outlet, date, excerpt, the article's own picture), a story shows once with its other reports
   behind it, the query lives in the address bar and the filters stay out of the way on a phone.
   The page's form works as a plain GET form; this script only runs the search it names. */
(function () {
  "use strict";
  const root = document.getElementById("search");
  if (!root) return;
  const form = root.querySelector("form");
  const input = form.querySelector("input[name=q]");
  const order = root.querySelector("select[name=sort]");
  const filterList = root.querySelector(".search-filter-groups");
  const filterBox = root.querySelector(".search-filters");
  let filtersLoaded = false; // Pagefind's filter lists are fetched when the reader opens the filters, not before
  const status = root.querySelector(".search-status");
  const list = root.querySelector(".search-results");
  const base = root.dataset.base;
  const BATCH = 10; // results whose data is fetched at a time: each is a download ("More results" fetches more)
  const next = root.querySelector(".search-next");
  // The page's words, in its language (search.html writes them: see its header); plurals by Intl.PluralRules.
  const TEXT = JSON.parse(document.getElementById("search-text").textContent);
  const plurals = new Intl.PluralRules(document.documentElement.lang || undefined);
  function counted(forms, n, query) {
    const form = forms[plurals.select(n)] || forms.other;
    return form.replace("{n}", n.toLocaleString(document.documentElement.lang || undefined)).replace("{query}", query || "");
  }
  const FILTERS = { topic: TEXT.topic, outlet: TEXT.outlet, type: TEXT.kind };
  let pagefind = null;
  let shownFor = null;
  let shown = null; // the search on the page: its query, Pagefind's results and the data fetched so far
  let wanted = 0;

  function element(name, attributes, ...children) {
    const made = document.createElement(name);
    for (const [key, value] of Object.entries(attributes || {})) made.setAttribute(key, value);
    for (const child of children) made.append(child);
    return made;
  }

  async function load() {
    if (pagefind) return pagefind;
    const listing = await (await fetch(base + "pagefind/bundles.json")).json();
    const bundles = listing.bundles || [];
    if (!bundles.length) throw new Error("no bundles");
    const module = await import(base + bundles[0] + "pagefind.js");
    await module.options({ baseUrl: base, excerptLength: 28 });
    for (const bundle of bundles.slice(1)) await module.mergeIndex(base + bundle);
    pagefind = module;
    return module;
  }

  function chosenFilters() {
    const chosen = {};
    for (const box of root.querySelectorAll(".search-filter-groups input:checked")) {
      (chosen[box.name] = chosen[box.name] || []).push(box.value);
    }
    for (const key of Object.keys(chosen)) chosen[key] = { any: chosen[key] };
    return chosen;
  }

  function state() {
    return { q: input.value.trim(), sort: order.value, filters: chosenFilters() };
  }

  function address(wantedState) {
    const params = new URLSearchParams();
    if (wantedState.q) params.set("q", wantedState.q);
    if (wantedState.sort === "newest") params.set("sort", "newest");
    for (const [key, value] of Object.entries(wantedState.filters)) for (const one of value.any) params.append(key, one);
    const query = params.toString();
    return location.pathname + (query ? "?" + query : "");
  }

  function restore() {
    const params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    order.value = params.get("sort") === "newest" ? "newest" : "relevance";
    return params;
  }

  // One group per story: a story page and its articles share meta.story; anything else is its own group.
  function grouped(fragments) {
    const groups = new Map();
    for (const fragment of fragments) {
      const key = fragment.meta.story || fragment.url;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(fragment);
    }
    return [...groups.values()];
  }

  function result(group) {
    const [lead, ...others] = group;
    const meta = lead.meta;
    const item = element("li", { class: "search-result" });
    if (meta.thumb) {
      const picture = element("img", { src: meta.thumb, alt: "", width: "96", height: "72", loading: "lazy", decoding: "async" });
      item.append(element("span", { class: "search-thumb" }, picture));
    }
    const text = element("div", { class: "search-text" });
    const title = element("a", { href: lead.url, class: "search-title", dir: "auto" });
    title.textContent = meta.title || lead.url;
    text.append(element("h2", {}, title));
    const line = [meta.outlet, meta.date].filter(Boolean).join(" · ");
    if (line) {
      const source = element("p", { class: "meta search-meta" });
      source.textContent = line;
      text.append(source);
    }
    const excerpt = element("p", { class: "search-excerpt" });
    excerpt.innerHTML = lead.excerpt; // Pagefind's excerpt: the page's own text, escaped, with <mark> around matches
    text.append(excerpt);
    if (others.length) {
      const more = element("details", { class: "search-more" });
      more.append(element("summary", {}, counted(TEXT.moreReports, others.length)));
      const reports = element("ul");
      for (const other of others) {
        const link = element("a", { href: other.url, dir: "auto" });
        link.textContent = other.meta.title || other.url;
        reports.append(element("li", {}, link, other.meta.outlet ? " · " + other.meta.outlet : ""));
      }
      more.append(reports);
      text.append(more);
    }
    item.append(text);
    return item;
  }

  function showFilters(search) {
    if (!filtersLoaded) return; // the hint stays until the reader opens the filters
    const counts = search.filters || {};
    const chosen = chosenFilters();
    filterList.replaceChildren();
    let offered = 0;
    for (const [key, label] of Object.entries(FILTERS)) {
      const values = Object.entries(counts[key] || {})
        .filter(([value, count]) => count > 0 || (chosen[key] && chosen[key].any.includes(value)))
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      if (!values.length) continue;
      const group = element("fieldset", {}, element("legend", {}, label));
      for (const [value, count] of values) {
        const box = element("input", { type: "checkbox", name: key, value: value });
        box.checked = Boolean(chosen[key] && chosen[key].any.includes(value));
        group.append(element("label", {}, box, " " + value + " ", element("span", { class: "count" }, "(" + count + ")")));
      }
      filterList.append(group);
      offered += values.length;
    }
    if (!offered) filterList.append(element("p", { class: "count" }, TEXT.noFilter));
  }

  // push: a new entry in the history (a submitted query, a changed order or filter); keep: leave the address
  // as it is (the first search, whose filters are chosen only once their boxes exist).
  async function run(push, keep) {
    const wantedState = state();
    const target = address(wantedState);
    if (!keep && target !== location.pathname + location.search) history[push ? "pushState" : "replaceState"](null, "", target);
    const ticket = ++wanted;
    if (!wantedState.q) {
      list.replaceChildren();
      status.textContent = "";
      next.hidden = true;
      shown = null;
      return;
    }
    let found;
    try {
      const engine = await load();
      if (filtersLoaded) await engine.filters(); // fetched once; then each search counts under each value
      const options = { filters: wantedState.filters };
      if (wantedState.sort === "newest") options.sort = { date: "desc" };
      found = await engine.search(wantedState.q, options);
    } catch (error) {
      status.textContent = TEXT.unavailable;
      return;
    }
    if (ticket !== wanted) return; // a newer search has started
    showFilters(found);
    shown = { query: wantedState, found, fragments: [], ticket };
    await more();
    shownFor = wantedState.q;
  }

  // Fetch the next batch of results' data and show every story found so far, each once.
  async function more() {
    const current = shown;
    if (!current) return;
    const batch = current.found.results.slice(current.fragments.length, current.fragments.length + BATCH);
    const fragments = await Promise.all(batch.map((hit) => hit.data()));
    if (current.ticket !== wanted) return; // a newer search has started
    current.fragments.push(...fragments);
    const groups = grouped(current.fragments);
    list.replaceChildren(...groups.map(result));
    const total = current.found.results.length;
    const q = current.query.q;
    status.textContent = total === 0 ? TEXT.noMatch.replace("{query}", q)
      : counted(current.query.sort === "newest" ? TEXT.matchesNewest : TEXT.matchesBest, total, q);
    next.hidden = current.fragments.length >= total;
  }

  let typing = null;
  input.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => run(false), 250); });
  form.addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(typing); run(input.value.trim() !== shownFor); });
  order.addEventListener("change", () => run(true));
  next.addEventListener("click", () => more());
  filterList.addEventListener("change", () => run(true));
  filterBox.addEventListener("toggle", async () => {
    if (!filterBox.open || filtersLoaded) return;
    filtersLoaded = true;
    run(false, true);
  });
  window.addEventListener("popstate", () => {
    const params = restore();
    for (const box of root.querySelectorAll(".search-filter-groups input")) box.checked = params.getAll(box.name).includes(box.value);
    run(false, true);
  });
  const params = restore();
  filtersLoaded = Object.keys(FILTERS).some((key) => params.has(key)); // an address with filters needs them now
  if (input.value) {
    // Filters named in the address are chosen once their boxes exist (after the first search).
    run(false, true).then(() => {
      let changed = false;
      for (const box of root.querySelectorAll(".search-filter-groups input")) {
        if (params.getAll(box.name).includes(box.value) && !box.checked) { box.checked = true; changed = true; }
      }
      if (changed) run(false);
    });
  }
})();
