// Read a form page as data: its fields (label, kind, options, constraints, value, box), buttons,
// error messages and visible text. Evaluated over CDP; returns plain JSON. Boxes are in screen
// pixels: page coordinates plus the window's top chrome (no zoom, devicePixelRatio 1).
() => {
  const originX = window.screenX + (window.outerWidth - window.innerWidth);
  const originY = window.screenY + (window.outerHeight - window.innerHeight);
  const clean = (text) => (text || "").replace(/\s+/g, " ").trim();
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
  };
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {x: Math.round(originX + r.left), y: Math.round(originY + r.top),
            width: Math.round(r.width), height: Math.round(r.height)};
  };
  const onScreen = (el) => {
    const r = el.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;
  };
  const textWithout = (el, control) => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll("input,select,textarea,button,.error,[role=alert]").forEach((n) => n.remove());
    return clean(copy.textContent);
  };
  const byIds = (ids) => clean((ids || "").split(/\s+/).map((id) => {
    const n = document.getElementById(id); return n ? n.textContent : "";
  }).join(" "));
  const nearbyText = (el) => {
    let node = el.previousSibling;
    for (let hops = 0; node && hops < 4; hops++, node = node.previousSibling) {
      const t = clean(node.textContent);
      if (t) return t;
    }
    const parent = el.parentElement;
    return parent && parent.children.length <= 2 ? textWithout(parent, el) : "";
  };
  const labelOf = (el) => {
    if (el.getAttribute("aria-labelledby")) return byIds(el.getAttribute("aria-labelledby"));
    if (el.getAttribute("aria-label")) return clean(el.getAttribute("aria-label"));
    if (el.id) {
      const l = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (l) return textWithout(l, el);
    }
    const wrap = el.closest("label");
    if (wrap) return textWithout(wrap, el);
    return clean(el.getAttribute("placeholder")) || clean(el.getAttribute("title")) || nearbyText(el);
  };
  const selectorOf = (el) => {
    if (el.id) return "#" + CSS.escape(el.id);
    const form = el.form ? el.form : document;
    if (el.name && form.querySelectorAll(`[name="${CSS.escape(el.name)}"]`).length === 1)
      return `[name="${CSS.escape(el.name)}"]`;
    const all = Array.from(document.querySelectorAll("input,select,textarea"));
    return `:nth-input(${all.indexOf(el)})`;
  };
  const errorOf = (el) => {
    const ids = el.getAttribute("aria-describedby") || el.getAttribute("aria-errormessage");
    const described = ids ? byIds(ids) : "";
    if (described && (el.getAttribute("aria-invalid") === "true" || /error|invalid|must|please/i.test(described)))
      return described;
    const holder = el.closest(".field, .form-group, p, div, li, fieldset") || el.parentElement;
    const found = holder ? holder.querySelector(".error, .invalid-feedback, [role=alert]") : null;
    return found && visible(found) ? clean(found.textContent) : "";
  };
  const dateOrder = () => new Intl.DateTimeFormat(navigator.language).formatToParts(new Date(2000, 10, 22))
    .filter((p) => ["day", "month", "year"].includes(p.type)).map((p) => p.type[0]).join("");
  const fields = [];
  const seenRadio = new Set();
  const skip = new Set(["hidden", "submit", "button", "reset", "image", "file"]);
  for (const el of document.querySelectorAll("input,select,textarea")) {
    const type = (el.getAttribute("type") || el.tagName).toLowerCase();
    if (skip.has(type) || el.disabled || !visible(el)) continue;
    const base = {label: labelOf(el), name: el.name || "", input_type: type, required: el.required,
                  pattern: el.getAttribute("pattern") || "", placeholder: el.getAttribute("placeholder") || "",
                  max_length: el.maxLength > 0 ? el.maxLength : null, minimum: el.getAttribute("min") || "",
                  maximum: el.getAttribute("max") || "", error: errorOf(el), on_screen: onScreen(el)};
    if (type === "radio") {
      if (!el.name || seenRadio.has(el.name)) continue;
      seenRadio.add(el.name);
      const group = Array.from(document.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`));
      const set = el.closest("fieldset");
      const legend = set && set.querySelector("legend");
      const checked = group.find((r) => r.checked);
      fields.push({...base, key: `radio:${el.name}`, kind: "radio",
                   label: legend ? clean(legend.textContent) : (set ? "" : el.name) || el.name,
                   required: group.some((r) => r.required), value: checked ? checked.value : "",
                   options: group.map((r) => ({value: r.value, label: labelOf(r), box: box(r)})),
                   error: errorOf(set || el), box: box(set || el)});
      continue;
    }
    const field = {...base, key: selectorOf(el), box: box(el), options: []};
    if (el.tagName === "SELECT") {
      field.kind = "select";
      field.options = Array.from(el.options).map((o) => ({value: o.value, label: clean(o.textContent)}));
      field.value = el.value;
    } else if (type === "checkbox") {
      field.kind = "checkbox";
      field.value = el.checked ? "true" : "false";
    } else if (type === "date") {
      field.kind = "date";
      field.value = el.value;
      field.date_order = dateOrder();
    } else if (type === "number" || type === "range") {
      field.kind = "number";
      field.value = el.value;
    } else {
      field.kind = el.tagName === "TEXTAREA" ? "textarea" : "text";
      field.value = el.value;
    }
    fields.push(field);
  }
  const buttons = [];
  for (const el of document.querySelectorAll("button, input[type=submit], input[type=button], [role=button], a.button")) {
    if (el.disabled || !visible(el)) continue;
    const text = clean(el.tagName === "INPUT" ? el.value : (el.textContent || el.getAttribute("aria-label")));
    const isSubmit = (el.tagName === "BUTTON" && (el.getAttribute("type") || "submit") === "submit") ||
                     (el.tagName === "INPUT" && el.type === "submit");
    buttons.push({text, is_submit_type: isSubmit, box: box(el), on_screen: onScreen(el)});
  }
  const errors = Array.from(document.querySelectorAll("[role=alert], .errors, .error-summary, .alert-danger"))
    .filter(visible).map((n) => clean(n.textContent)).filter(Boolean);
  return {title: document.title, url: location.href, fields, buttons, errors,
          text: clean(document.body ? document.body.innerText : "").slice(0, 2000)};
}
