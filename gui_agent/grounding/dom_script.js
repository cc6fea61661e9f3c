// Collect the visible elements of the page (through open shadow roots and same-origin iframes)
// as [name, role, x, y, width, height, source] in screen pixels; source is "text" when the name
// is the element's visible text, else "attr". Returns null for a hidden tab.
(() => {
  if (document.visibilityState !== "visible") return null;
  const dpr = window.devicePixelRatio || 1;
  const originX = window.screenX + (window.outerWidth - window.innerWidth);
  const originY = window.screenY + (window.outerHeight - window.innerHeight);
  const LIMIT = 4000;
  const out = [];
  const clean = (t) => (t || "").replace(/\s+/g, " ").trim().slice(0, 160);
  const textOf = (el) => clean(el.innerText || el.textContent);
  const ownText = (el) => {
    let t = "";
    for (const n of el.childNodes) if (n.nodeType === 3) t += n.textContent;
    return clean(t);
  };
  const INPUT_ROLES = { checkbox: "checkbox", radio: "radio", button: "button", submit: "button",
                        reset: "button", image: "button", range: "slider", search: "searchbox" };
  const TAG_ROLES = { A: "link", BUTTON: "button", SELECT: "combobox", TEXTAREA: "textbox",
                      IMG: "img", OPTION: "option", LABEL: "label", SUMMARY: "button",
                      H1: "heading", H2: "heading", H3: "heading", H4: "heading", H5: "heading",
                      H6: "heading", LI: "listitem", TD: "cell", TH: "cell" };
  const roleOf = (el) => {
    const explicit = el.getAttribute("role");
    if (explicit) return explicit.split(" ")[0];
    if (el.tagName === "INPUT") return INPUT_ROLES[el.type] || "textbox";
    if (el.tagName === "A" && !el.hasAttribute("href")) return "text";
    return TAG_ROLES[el.tagName] || "text";
  };
  const nameOf = (el, root) => {
    const aria = el.getAttribute("aria-label");
    if (aria) return clean(aria);
    const by = el.getAttribute("aria-labelledby");
    if (by && root.getElementById) {
      const t = by.split(/\s+/).map((id) => root.getElementById(id)).filter(Boolean)
        .map(textOf).join(" ");
      if (clean(t)) return clean(t);
    }
    if (el.labels && el.labels.length) return textOf(el.labels[0]);
    if (el.tagName === "IMG") return clean(el.alt || el.title);
    if (el.tagName === "INPUT") {
      if (["button", "submit", "reset"].includes(el.type)) return clean(el.value);
      return clean(el.placeholder || el.title || el.getAttribute("name"));
    }
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT")
      return clean(el.placeholder || el.title || el.getAttribute("name"));
    const text = textOf(el);
    return text || clean(el.title);
  };
  const interesting = (el) =>
    el.tagName in TAG_ROLES || el.tagName === "INPUT" || el.hasAttribute("role") ||
    el.hasAttribute("aria-label") || el.hasAttribute("tabindex") || el.hasAttribute("onclick") ||
    ownText(el) !== "";
  const boxOf = (el, role) => {
    if (role === "text" || role === "heading" || role === "label") {
      const range = document.createRange();
      range.selectNodeContents(el);
      const r = range.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) return r;
    }
    return el.getBoundingClientRect();
  };
  const visit = (root, offsetX, offsetY, viewW, viewH) => {
    for (const el of root.querySelectorAll("*")) {
      if (out.length >= LIMIT) return;
      if (el.shadowRoot) visit(el.shadowRoot, offsetX, offsetY, viewW, viewH);
      if (el.tagName === "IFRAME") {
        let doc = null;
        try { doc = el.contentDocument; } catch (e) { doc = null; }
        if (doc) {
          const f = el.getBoundingClientRect();
          visit(doc, offsetX + f.left + el.clientLeft, offsetY + f.top + el.clientTop,
                f.width, f.height);
        }
        continue;
      }
      if (!interesting(el)) continue;
      const role = roleOf(el);
      const r = boxOf(el, role);
      if (r.width < 2 || r.height < 2 || r.right <= 0 || r.bottom <= 0 ||
          r.left >= viewW || r.top >= viewH) continue;
      const style = getComputedStyle(el);
      if (style.visibility === "hidden" || style.opacity === "0") continue;
      const name = nameOf(el, root);
      if (!name) continue;
      out.push([name, role,
                Math.round((originX + offsetX + r.left) * dpr),
                Math.round((originY + offsetY + r.top) * dpr),
                Math.round(r.width * dpr), Math.round(r.height * dpr),
                name === textOf(el) ? "text" : "attr"]);
    }
  };
  visit(document, 0, 0, window.innerWidth, window.innerHeight);
  return out;
})()
