"""The page scripts that operate Chrome's own pages, one expression each.

Each runs inside a chrome:// page, where Chrome gives its web UI the private APIs it uses
itself: `chrome.settingsPrivate` on settings pages (what a toggle or dropdown calls),
`chrome.send` messages to the page's handler, `chrome.bookmarks` on the bookmarks manager, the
history page's own module. Arguments are passed as JSON, never pasted into code. Every script
returns a JSON value that says what it did, so the caller can check instead of trusting.
"""

from __future__ import annotations

import json
from typing import Any

SHADOW_FIND = """const deepFind = (root, selector) => {
  const hit = root.querySelector(selector);
  if (hit) return hit;
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) { const found = deepFind(el.shadowRoot, selector); if (found) return found; }
  }
  return null;
};"""

_GET_PREF = """new Promise(resolve => chrome.settingsPrivate.getPref(%s, pref => resolve(
  pref ? {ok: true, value: pref.value, type: pref.type}
       : {ok: false, error: (chrome.runtime.lastError || {}).message || 'no such preference'})))"""

_SET_PREF = """new Promise(resolve => chrome.settingsPrivate.setPref(%s, %s, '', ok => resolve(
  {ok: !!ok, error: ok ? null : ((chrome.runtime.lastError || {}).message
                                 || 'Chrome refused the value')})))"""

_ALL_PREF_KEYS = "new Promise(r => chrome.settingsPrivate.getAllPrefs(ps => r(ps.map(p => p.key))))"

# Every control of a settings page that is bound to a preference (toggles, dropdowns, radio
# groups carry the `pref` they edit), shadow roots included; polled while the page renders.
_SETTINGS_CONTROLS = """(async () => {
  const read = () => {
    const out = [], seen = new Set(), roots = [document];
    while (roots.length) {
      const root = roots.pop();
      for (const el of root.querySelectorAll('*')) {
        if (el.shadowRoot) roots.push(el.shadowRoot);
        const pref = el.pref;
        if (!pref || typeof pref.key !== 'string' || seen.has(pref.key)) continue;
        const box = el.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;
        seen.add(pref.key);
        const text = (x) => (x || '').toString().trim().split('\\n')[0];
        const label = text(el.label || el.getAttribute('label') || el.getAttribute('aria-label')
                           || el.innerText);
        const detail = text(el.subLabel || el.getAttribute('sub-label'));
        let options = null;
        if (Array.isArray(el.menuOptions))
          options = el.menuOptions.map(o => ({value: String(o.value), name: text(o.name)}));
        const radios = [...el.querySelectorAll('[name]')].filter(r => r.tagName.includes('RADIO'));
        if (radios.length)
          options = radios.map(r => ({value: String(r.name), name: text(r.label || r.innerText)}));
        out.push({key: pref.key, type: pref.type, value: pref.value, label: label,
                  detail: detail, options: options});
      }
    }
    return out;
  };
  for (let i = 0; i < 40; i++) {
    const found = read();
    if (found.length) return found;
    await new Promise(r => setTimeout(r, 100));
  }
  return [];
})()"""

_SEARCH_ENGINES = """(async () => {
  const cr = await import('chrome://resources/js/cr.js');
  const list = await cr.sendWithPromise('getSearchEnginesList');
  return [...list.defaults, ...list.actives, ...list.others].map(e => ({
    id: e.id, name: e.name, keyword: e.keyword, isDefault: e.default,
    canBeDefault: e.canBeDefault}));
})()"""

# choiceMadeLocation 1 = the search engines settings page; the id must be a number or Chrome
# kills the page for a bad message.
_SET_SEARCH_ENGINE = """(async () => {
  chrome.send('setDefaultSearchEngine', [%d, 1, null]);
  const cr = await import('chrome://resources/js/cr.js');
  for (let i = 0; i < 20; i++) {
    const list = await cr.sendWithPromise('getSearchEnginesList');
    const now = [...list.defaults, ...list.actives, ...list.others].find(e => e.default);
    if (now && now.id === %d) return {ok: true, value: now.name};
    await new Promise(r => setTimeout(r, 100));
  }
  return {ok: false, error: 'the default did not change'};
})()"""

_SET_PROFILE_NAME = """(async () => {
  chrome.send('setProfileName', [%s]);
  return {ok: true};
})()"""

_PROFILE_NAME = """import('chrome://resources/js/cr.js')
  .then(cr => cr.sendWithPromise('getProfileInfo')).then(info => info.name)"""

_COLOR_SCHEME_VALUES = {"light": "1", "dark": "2", "device": "0"}

_COLOR_SCHEME = (
    "(async () => {\n"
    + SHADOW_FIND
    + """
  let select = null;
  for (let i = 0; i < 50 && !select; i++) {
    select = deepFind(document, '#colorSchemeModeSelect');
    if (!select) await new Promise(r => setTimeout(r, 100));
  }
  if (!select) return {ok: false, error: 'no appearance mode control on this page'};
  const wanted = %s;
  if (wanted !== null && select.value !== wanted) {
    select.value = wanted;
    select.dispatchEvent(new Event('change', {bubbles: true}));
  }
  const option = [...select.options].find(o => o.value === select.value);
  return {ok: true, value: option ? option.textContent.trim() : select.value};
})()"""
)

_BOOKMARK_IDS = {"bookmarks_bar": "1", "other": "2"}

_CREATE_BOOKMARK = """(async () => {
  const node = await chrome.bookmarks.create(%s);
  return {ok: true, id: node.id};
})()"""

_BOOKMARK_CHILDREN = """(async () => {
  const nodes = await chrome.bookmarks.getChildren(%s);
  return nodes.map(n => ({title: n.title, url: n.url || null}));
})()"""

# The history page's own handler (its module is already loaded; importing it again returns it).
_HISTORY_MATCHES = """(async () => {
  const m = await import('chrome://history/history.js');
  const handler = m.BrowserProxyImpl.getInstance().handler;
  const wanted = %s.toLowerCase();
  // allTimestamps is a list in some versions, {url: list} in others.
  const stamps = (e) => Array.isArray(e.allTimestamps) ? e.allTimestamps
      : (e.allTimestamps ? Object.values(e.allTimestamps).flat() : [e.time]);
  const found = [];
  // The handler's arity changed between versions; optional trailing flags say "include all".
  const query = (q) => handler.queryHistory(...[q, 1000, null, true, true].slice(
      0, Math.max(handler.queryHistory.length, 3)));
  let reply = await query(%s);
  for (let round = 0; round < 20; round++) {
    const entries = reply.results.value || [];
    for (const e of entries) {
      const url = (e.url && e.url.url) || e.url || '';
      const title = e.title || '';
      if (!wanted || url.toLowerCase().includes(wanted) || title.toLowerCase().includes(wanted))
        found.push({url: url, timestamps: stamps(e)});
    }
    if (reply.results.info && reply.results.info.finished === false && entries.length) {
      reply = await handler.queryHistoryContinuation();
    } else break;
  }
  return found;
})()"""

# The history service refuses a removal while the previous one is still running (measured on
# Chromium 156: of a list, or of calls in a row, only the first entry went), so entries are
# removed one at a time, each confirmed by querying again before the next.
_REMOVE_HISTORY = """(async () => {
  const m = await import('chrome://history/history.js');
  const handler = m.BrowserProxyImpl.getInstance().handler;
  const matches = async () => %s;
  const sleep = (ms) => new Promise(r => setTimeout(r, ms));
  let left = await matches();
  let removed = 0;
  for (let round = 0; round < 500 && left.length; round++) {
    const item = left[0];
    await handler.removeVisits([{url: item.url, timestamps: item.timestamps}]);
    for (let wait = 0; wait < 40; wait++) {
      const now = await matches();
      if (!now.some(e => e.url === item.url && e.timestamps.length >= item.timestamps.length)) {
        left = now; removed++; break;
      }
      await sleep(50);
      if (wait === 39) left = now;
    }
  }
  return {ok: left.length === 0, removed: removed, left: left.length};
})()"""


def _js(value: Any) -> str:
    return json.dumps(value)


def get_pref(key: str) -> str:
    return _GET_PREF % _js(key)


def set_pref(key: str, value: Any) -> str:
    return _SET_PREF % (_js(key), _js(value))


def settings_controls() -> str:
    return _SETTINGS_CONTROLS


def all_pref_keys() -> str:
    return _ALL_PREF_KEYS


def search_engines() -> str:
    return _SEARCH_ENGINES


def set_search_engine(engine_id: int) -> str:
    return _SET_SEARCH_ENGINE % (int(engine_id), int(engine_id))


def set_profile_name(name: str) -> str:
    return _SET_PROFILE_NAME % _js(name)


def profile_name() -> str:
    return _PROFILE_NAME


def color_scheme(mode: str | None) -> str:
    """Read (mode None) or set the appearance mode; returns the option shown afterwards."""
    wanted = None if mode is None else _COLOR_SCHEME_VALUES[mode]
    return _COLOR_SCHEME % _js(wanted)


def create_bookmark(*, parent: str, title: str, url: str | None) -> str:
    spec: dict[str, str] = {"parentId": _BOOKMARK_IDS[parent], "title": title}
    if url is not None:
        spec["url"] = url
    return _CREATE_BOOKMARK % _js(spec)


def bookmark_children(parent: str) -> str:
    return _BOOKMARK_CHILDREN % _js(_BOOKMARK_IDS[parent])


def history_matches(match: str) -> str:
    # The handler's own search is by words; an empty query lists everything, filtered here.
    return _HISTORY_MATCHES % (_js(match), _js(""))


def remove_history(match: str) -> str:
    """Remove every entry `history_matches(match)` lists; returns {ok, removed, left}."""
    return _REMOVE_HISTORY % history_matches(match)
