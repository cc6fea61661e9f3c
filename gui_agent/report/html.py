"""Render a RunView as one self-contained HTML page: images inline, no network, no server.

A Content-Security-Policy forbids every fetch, so the page provably loads nothing from outside
the file. The call tree is nested <details>: it expands and collapses without script; the
small script only adds "expand all" / "collapse all" and full-size screenshots on click.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
from collections.abc import Iterator
from typing import Any

from PIL import Image

from gui_agent.report.overlay import draw_step
from gui_agent.report.run_view import RunView, StepView, node_usage
from gui_agent.trace import TraceNode

ARG_CHARS = 600
REPLY_CHARS = 2500
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'")  # fmt: skip

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d1f23;background:#f4f5f7}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:20px;margin:8px 0}h2{font-size:17px;margin:28px 0 8px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;
 font-weight:600;vertical-align:middle}
.s-done,.s-ok,.s-scored{background:#14a046}.s-failed,.s-error{background:#d9363e}
.s-max_steps,.s-budget_exceeded,.s-blocked,.s-refused{background:#e08a00}
.s-unknown,.s-running,.s-interrupted{background:#777}
.s-model_error,.s-env_error,.s-setup_error{background:#8a2be2}
table.totals{border-collapse:collapse;background:#fff}
table.totals td,table.totals th{border:1px solid #dde;padding:4px 10px;text-align:right}
#fields td,#fields th{text-align:left}
table.totals th{background:#eef}
.step{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:16px;background:#fff;
 border:1px solid #dde;border-radius:6px;padding:12px;margin:12px 0}
.step img{width:100%;border:1px solid #ccd;cursor:zoom-in}
.step img.zoomed{position:fixed;inset:2vh 2vw;width:96vw;height:96vh;object-fit:contain;
 background:#000d;z-index:10;cursor:zoom-out}
.step .noimg{padding:40px;text-align:center;color:#777;border:1px dashed #bbc}
.step dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:8px 0}
.step h3 a{font-size:12px;font-weight:normal;margin-left:8px}
.step dt{color:#667}.step dd{margin:0;overflow-wrap:anywhere}
.o-rejected{color:#d9363e}.o-no{color:#e08a00}
details.node{margin-left:18px;border-left:2px solid #dde;padding-left:6px}
details.node>summary{cursor:pointer;padding:2px 0}
.impl{font-size:11px;padding:0 6px;border-radius:8px;border:1px solid}
.impl-model{color:#6a3fc8;border-color:#6a3fc8}.impl-stabilized{color:#14a046;border-color:#14a046}
.impl-code{color:#667;border-color:#aab}
.meta{color:#667;font-size:12px}.err{color:#d9363e}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f7fa;border:1px solid #e3e3ea;
 padding:6px;margin:4px 0;font-size:12px;max-height:320px;overflow:auto}
.review li{margin:4px 0}.sev-critical{color:#d9363e}.sev-major{color:#e08a00}
"""

SCRIPT = """
function setAll(open){document.querySelectorAll('#calltree details').forEach(
  function(d){d.open=open;});}
var ex=document.getElementById('expand-all'),co=document.getElementById('collapse-all');
if(ex){ex.addEventListener('click',function(){setAll(true);});}
if(co){co.addEventListener('click',function(){setAll(false);});}
document.querySelectorAll('a.tree-link').forEach(function(link){
  link.addEventListener('click',function(){
    var node=document.getElementById(link.getAttribute('href').slice(1));
    for(var d=node;d;d=d.parentElement){if(d.tagName==='DETAILS'){d.open=true;}}
  });});
document.querySelectorAll('.step img').forEach(function(img){
  img.addEventListener('click',function(){img.classList.toggle('zoomed');});});
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _money(value: float) -> str:
    return f"${value:.4f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _badge(status: str) -> str:
    return f'<span class="badge s-{_e(status)}">{_e(status)}</span>'


def png_data_uri(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def step_image(view: RunView, step: StepView) -> Image.Image | None:
    """The step's screenshot with its action drawn on, or None if the run kept no image."""
    if not step.screenshot:
        return None
    path = view.image_path(step.screenshot)
    if not path.is_file():
        return None
    with Image.open(path) as image:
        return draw_step(image, step)


def _walk(roots: list[TraceNode]) -> Iterator[TraceNode]:
    for root in roots:
        yield from root.walk()


def _header(view: RunView) -> str:
    parts = [f"<h1>{_e(view.goal or '(no goal recorded)')}</h1>",
             f'<p id="status">{_badge(view.status)} after {view.steps_executed} '
             f"executed actions"]  # fmt: skip
    if view.task_status:
        score = "" if view.score is None else f" · score {view.score:g}"
        parts.append(f" · task {_badge(view.task_status)}{score}")
    if view.agent:
        parts.append(f' · <span class="meta">agent {_e(view.agent)}</span>')
    if view.model:
        parts.append(f' · <span class="meta">model {_e(view.model)}</span>')
    parts.append("</p>")
    if view.answer:
        parts.append(f'<p id="answer">answer: {_e(view.answer)}</p>')
    if view.reason:
        parts.append(f'<p id="reason">reason: {_e(view.reason)}</p>')
    return "".join(parts)


def _totals(view: RunView) -> str:
    calls = sum(len(n.model_records) for n in _walk(view.roots))
    retries = sum(1 for n in _walk(view.roots) for r in n.model_records
                  if isinstance(r.get("attempt"), int) and r["attempt"] > 1)  # fmt: skip
    stabilized = sum(1 for n in _walk(view.roots) if n.impl == "stabilized")
    t = view.totals
    estimated = " (estimated)" if t.estimated else ""
    cells = [
        ("steps", str(len(view.steps))),
        ("executed actions", str(view.steps_executed)),
        ("model calls", str(calls)),
        ("retries", str(retries)),
        ("stabilized calls", str(stabilized)),
        ("input tokens", f"{t.input_tokens:,}"),
        ("output tokens", f"{t.output_tokens:,}"),
        ("cache tokens", f"{t.cache_tokens:,}"),
        ("cost", _money(t.cost_usd) + estimated),
        ("time", _seconds(t.duration_s)),
    ]
    head = "".join(f"<th>{_e(k)}</th>" for k, _ in cells)
    body = "".join(f"<td>{_e(v)}</td>" for _, v in cells)
    return f'<h2>Totals</h2><table class="totals" id="totals"><tr>{head}</tr><tr>{body}</tr></table>'


def _timeline(view: RunView) -> str:
    """One row per top-level call (steps, skills): its span, and its model calls inside it."""
    if view.started_at is None or not view.node_times:
        return ""
    rows = [child for root in view.roots for child in (root.children or [root])]
    ends = [end for _, end in view.node_times.values() if end is not None]
    span = max(max(ends, default=view.started_at) - view.started_at, 1e-3)
    width, row_h, label_w = 1000, 18, 160
    scale = (width - label_w) / span
    out = [f'<h2>Timeline</h2><svg id="timeline" viewBox="0 0 {width} {row_h * len(rows) + 20}" '
           f'width="100%" role="img" aria-label="timeline">']  # fmt: skip
    for number, node in enumerate(rows):
        start, end = view.node_times.get(node.path, (view.started_at, None))
        end = end if end is not None else start
        y = number * row_h
        label = _clip(f"{node.name} {node.args.get('n', '')}".strip(), 24)
        out.append(f'<text x="0" y="{y + 13}" font-size="11">{_e(label)}</text>')
        colour = "#d9363e" if node.status == "error" else "#9fb8e8"
        x = label_w + (start - view.started_at) * scale
        out.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{max((end - start) * scale, 1):.1f}" '
                   f'height="{row_h - 6}" fill="{colour}"><title>{_e(node.path)} '
                   f"{end - start:.2f} s</title></rect>")  # fmt: skip
        for inner in node.walk():
            if inner.kind != "agentic" or inner.path not in view.node_times:
                continue
            s, e = view.node_times[inner.path]
            e = e if e is not None else s
            fill = "#14a046" if inner.impl == "stabilized" else "#6a3fc8"
            out.append(f'<rect x="{label_w + (s - view.started_at) * scale:.1f}" y="{y + 6}" '
                       f'width="{max((e - s) * scale, 1):.1f}" height="{row_h - 12}" '
                       f'fill="{fill}"><title>{_e(inner.name)} {e - s:.2f} s</title></rect>')  # fmt: skip
    out.append(f'<text x="{label_w}" y="{row_h * len(rows) + 15}" font-size="11">0 s</text>')
    out.append(f'<text x="{width - 50}" y="{row_h * len(rows) + 15}" font-size="11">'
               f"{span:.1f} s</text></svg>")  # fmt: skip
    out.append('<p class="meta">light: the call; purple: model calls; green: stabilized code.</p>')
    return "".join(out)


def _fact(key: str, value: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<dt>{_e(key)}</dt><dd{cls}>{_e(value)}</dd>"


def _step(view: RunView, step: StepView, *, tree_paths: set[str]) -> str:
    image = step_image(view, step)
    picture = (f'<img alt="step {step.index}" src="{png_data_uri(image)}">' if image is not None
               else '<div class="noimg">no screenshot recorded for this step</div>')  # fmt: skip
    outcome_class = {"rejected": "o-rejected", "no visible change": "o-no"}.get(step.outcome, "")
    rows = [("action", step.description), ("outcome", step.outcome)]
    if step.rejected:
        rows.append(("rejected", step.rejected))
    if step.observation:
        rows.append(("observation", step.observation))
    if step.source:
        rows.append(("by", step.source))
    if step.why:
        rows.append(("why", step.why))
    if step.output:
        rows.append(("output", _clip(step.output, ARG_CHARS)))
    if step.snap is not None:
        s = step.snap
        where = f" by {s.tier}" if s.tier else ""
        onto = f" onto {s.name!r}" if s.name else ""
        rows.append(("snapped", f"({s.from_point[0]:g}, {s.from_point[1]:g}) -> "
                                f"({s.to_point[0]:g}, {s.to_point[1]:g}){where}{onto}"))  # fmt: skip
    rows += [("time", _seconds(step.duration_s)), ("tokens", f"{step.tokens:,}"),
             ("cost", _money(step.cost_usd))]  # fmt: skip
    facts = "".join(_fact(k, v, outcome_class if k == "outcome" else "") for k, v in rows)
    link = (f' <a class="tree-link" href="#{node_anchor(step.path or "")}">in the call tree</a>'
            if step.path in tree_paths else "")  # fmt: skip
    return (f'<article class="step" id="step-{step.index}" data-step="{step.index}">'
            f"<div>{picture}</div><div><h3>Step {step.index}{link}</h3><dl>{facts}</dl>"
            f"<details><summary>action as recorded</summary><pre>"
            f"{_e(json.dumps(step.action, ensure_ascii=False, indent=1))}</pre></details>"
            f"</div></article>")  # fmt: skip


def node_anchor(path: str) -> str:
    """A stable HTML id for a call-tree node (paths hold '#' and '/')."""
    return "n-" + hashlib.sha1(path.encode()).hexdigest()[:12]


def _node(node: TraceNode, *, open_: bool,
          observations: dict[str, list[tuple[str, str]]]) -> str:  # fmt: skip
    tokens, cost = node_usage(node)
    retries = sum(1 for r in node.model_records
                  if isinstance(r.get("attempt"), int) and r["attempt"] > 1)  # fmt: skip
    impl = node.impl or ("model" if node.model_records else "code")
    bits = [f'<span class="name">{_e(node.name)}</span>',
            f'<span class="impl impl-{_e(impl)}">{_e(impl)}</span>', _badge(node.status),
            f'<span class="meta">{tokens:,} tok · {_money(cost)} · '
            f"{_seconds(node.duration_s)}</span>"]  # fmt: skip
    if retries:
        bits.append(f'<span class="meta">retries {retries}</span>')
    if node.error:
        bits.append(f'<span class="err">{_e(_clip(node.error, 160))}</span>')
    body = [f'<div class="meta">{_e(node.path)} · version {_e(node.version or "-")}'
            + (f" · {_e(node.model)}" if node.model else "") + "</div>"]
    if node.args:
        lines = "\n".join(f"{name} = {_clip(str(value), ARG_CHARS)}"
                          for name, value in node.args.items())  # fmt: skip
        body.append(f'<pre class="args">{_e(lines)}</pre>')
    if node.summary:
        body.append(f'<div class="returned">returned: {_e(node.summary)}</div>')
    if node.output not in (None, "", node.summary):
        shown = node.output if isinstance(node.output, str) else json.dumps(
            node.output, ensure_ascii=False, indent=1, default=str)  # fmt: skip
        body.append(f"<details><summary>output</summary><pre>{_e(_clip(shown, REPLY_CHARS))}"
                    "</pre></details>")  # fmt: skip
    for record in node.model_records:
        usage = record.get("usage") if isinstance(record.get("usage"), dict) else {}
        assert isinstance(usage, dict)
        body.append(f'<div class="meta">model call, attempt {_e(record.get("attempt", "?"))}, '
                    f'{_e(record.get("model", ""))}, {int(usage.get("input_tokens", 0)):,} in / '
                    f'{int(usage.get("output_tokens", 0)):,} out</div>'
                    f'<pre>{_e(_clip(str(record.get("reply", "")), REPLY_CHARS))}</pre>')  # fmt: skip
    for what, detail in observations.get(node.path, []):
        body.append(f'<div class="observed">observed (free): {_e(what)}'
                    f"<pre>{_e(_clip(detail, ARG_CHARS))}</pre></div>")  # fmt: skip
    body.extend(_node(child, open_=False, observations=observations) for child in node.children)
    return (f'<details class="node" id="{node_anchor(node.path)}" data-path="{_e(node.path)}"'
            f'{" open" if open_ else ""}>'
            f"<summary>{' '.join(bits)}</summary>{''.join(body)}</details>")


def _calltree(view: RunView) -> str:
    if not view.roots:
        return "<h2>Call tree</h2><p>No trace was recorded.</p>"
    nodes = "".join(_node(root, open_=True, observations=view.observations)
                    for root in view.roots)  # fmt: skip
    return ('<h2>Call tree</h2><p><button id="expand-all" type="button">expand all</button> '
            '<button id="collapse-all" type="button">collapse all</button></p>'
            f'<div id="calltree">{nodes}</div>')


FIELD_COLUMNS = ("page", "label", "value", "shown", "source", "read_back", "read_back_ok", "note")


def _fields(view: RunView) -> str:
    """A form fill's fields: what each got, from code or the model, and what read back."""
    if not view.fields:
        return ""
    head = "".join(f"<th>{_e(c.replace('_', ' '))}</th>" for c in FIELD_COLUMNS)
    rows = "".join("<tr>" + "".join(f"<td>{_e('' if f.get(c) is None else f.get(c))}</td>"
                                    for c in FIELD_COLUMNS) + "</tr>"
                   for f in view.fields)  # fmt: skip
    return (f'<section id="fields"><h2>Fields</h2><table class="totals">'
            f"<tr>{head}</tr>{rows}</table></section>")


def _steps_title(label: object) -> str:
    text = str(label or "")
    return f"steps {text}" if "-" in text else f"step {text}"


def _review(view: RunView) -> str:
    review = view.review
    if not review:
        return ""
    items = []
    findings = review.get("findings") if isinstance(review.get("findings"), list) else []
    for finding in findings or []:
        if not isinstance(finding, dict):
            continue
        severity = str(finding.get("severity", "info"))
        steps = finding.get("steps") or []
        where = f"steps {', '.join(str(s) for s in steps)}: " if steps else ""
        fix = f" — {finding['suggestion']}" if finding.get("suggestion") else ""
        items.append(f'<li class="sev-{_e(severity)}"><b>{_e(severity)}</b> {_e(where)}'
                     f"{_e(finding.get('problem', ''))}{_e(fix)}</li>")  # fmt: skip
    unreviewed = review.get("unreviewed") if isinstance(review.get("unreviewed"), list) else []
    for group in unreviewed or []:
        if isinstance(group, dict):
            items.append(f"<li><b>unreviewed</b> {_e(_steps_title(group.get('steps')))}: "
                         f"{_e(group.get('error', ''))}</li>")  # fmt: skip
    verdicts = review.get("groups") if isinstance(review.get("groups"), list) else []
    lines = "".join(f"<li>{_e(_steps_title(g.get('steps')))}: "
                    f"{'moved the goal forward' if g.get('moved_forward') else 'did not help'}"
                    f" — {_e(g.get('verdict', ''))}</li>"
                    for g in verdicts or [] if isinstance(g, dict))  # fmt: skip
    return (f'<section id="review"><h2>Review</h2><ul>{lines}</ul>'
            f'<h3>Findings</h3><ul class="review">{"".join(items) or "<li>none</li>"}</ul>'
            f"</section>")


def render_html(view: RunView) -> str:
    """The whole report page for `view`."""
    tree_paths = {node.path for node in _walk(view.roots)}
    steps = "".join(_step(view, step, tree_paths=tree_paths)
                    for step in view.steps) or "<p>No steps were recorded.</p>"  # fmt: skip
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{_e(_clip(view.goal or 'run', 80))} - gui-agent report</title>"
        f"<style>{STYLE}</style></head><body><main>"
        f"{_header(view)}{_totals(view)}{_timeline(view)}{_fields(view)}{_review(view)}"
        f'<h2>Steps</h2><section id="steps">{steps}</section>'
        f"{_calltree(view)}</main><script>{SCRIPT}</script></body></html>"
    )
