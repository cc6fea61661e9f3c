"""`@agentic`: a function whose body is only a docstring becomes a typed model call.

    @agentic
    def pick_color(sentence: str) -> Literal["red", "green", "blue"]:
        '''Name the colour the sentence is about.'''

At call time the arguments are bound and rendered (pydantic models as JSON, images as images),
the prompt is built from the signature, the docstring and the call-tree context (context.py),
the output schema comes from the return annotation, and the reply is validated into that type.
A reply that fails validation goes back to the model inside the same call with the error, at
most `max_retries` times; then OutputValidationError carries every attempt.

A plain-Python implementation can be registered under the same name with `.stabilize`; callers
do not change, and the trace records which implementation ran.
"""

from __future__ import annotations

import ast
import asyncio
import contextvars
import functools
import hashlib
import inspect
import io
import logging
import re
import textwrap
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar

from pydantic import TypeAdapter, ValidationError

from gui_agent import context as ctx
from gui_agent.errors import ConfigError, OutputValidationError
from gui_agent.models.base import (
    ImagePart,
    Model,
    ModelReply,
    ModelRequest,
    NativeKind,
    Part,
    Retry,
    TextPart,
)
from gui_agent.models.schemas import output_schema
from gui_agent.trace import current_trace
from gui_agent.untrusted import UNTRUSTED_NOTE, Untrusted, fence
from gui_agent.vault import redact

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

PREAMBLE = (
    "You are one function inside a program. The program owns the control flow and calls you "
    "where judgment is needed. Compute the return value of the function below from its "
    "arguments and the context you are given. Reply only with a value that satisfies the "
    "output schema; no commentary."
)

_default_model: contextvars.ContextVar[Model | str | None] = contextvars.ContextVar(
    "gui_agent_default_model", default=None
)
_stabilized: dict[str, Callable[..., Any]] = {}
_MODULE_PREFIX = re.compile(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)")


@contextmanager
def use_model(model: Model | str) -> Iterator[None]:
    """Make `model` (a Model or a spec string) the default for @agentic calls in this context."""
    token = _default_model.set(model)
    try:
        yield
    finally:
        _default_model.reset(token)


def register_stabilized(name: str, implementation: Callable[..., Any]) -> None:
    """Run `implementation` (plain Python) whenever the @agentic function `name` is called."""
    _stabilized[name] = implementation


def unregister_stabilized(name: str) -> None:
    _stabilized.pop(name, None)


def _resolve(model: Model | str | None) -> Model:
    from gui_agent.models.registry import resolve_model

    chosen = model if model is not None else _default_model.get()
    return chosen if isinstance(chosen, Model) else resolve_model(chosen)


def _check_docstring_only(fn: Callable[..., Any]) -> str:
    doc = inspect.getdoc(fn)
    if not doc:
        raise TypeError(f"@agentic function {fn.__qualname__} needs a docstring: it is the prompt")
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return doc
    node = tree.body[0]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        for stmt in node.body[1:]:
            if not (isinstance(stmt, ast.Pass) or (
                isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            )):  # fmt: skip
                raise TypeError(
                    f"@agentic function {fn.__qualname__} must have only a docstring as its body"
                )
    return doc


def _is_image(value: Any) -> bool:
    return (hasattr(value, "png") and hasattr(value, "width")) or (
        hasattr(value, "mode") and hasattr(value, "tobytes") and hasattr(value, "size")
    )


def _image_part(value: Any) -> ImagePart:
    if hasattr(value, "png"):
        return ImagePart(png=value.png, width=value.width, height=value.height)
    buffer = io.BytesIO()
    value.save(buffer, format="PNG", compress_level=1)
    return ImagePart(png=buffer.getvalue(), width=value.size[0], height=value.size[1])


@dataclass(frozen=True)
class AgenticOptions:
    model: Model | str | None = None
    max_retries: int = 2
    temperature: float | None = None
    max_output_tokens: int = 4096
    summarize: Callable[[Any], str] | None = None
    native: NativeKind | None = None


class AgenticFunction(Generic[P, R]):
    """The callable `@agentic` returns; see the module docstring."""

    def __init__(self, fn: Callable[P, R], *, name: str | None, options: AgenticOptions) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        self.options = options
        self.docstring = _check_docstring_only(fn)
        self.signature = inspect.signature(fn, eval_str=True)
        hints = typing.get_type_hints(fn, include_extras=True)
        if "return" not in hints:
            raise TypeError(f"@agentic function {fn.__qualname__} needs a return annotation")
        self.return_type = hints["return"]
        self.adapter: TypeAdapter[Any] = TypeAdapter(self.return_type)
        self.output_schema = output_schema(self.adapter)
        self.version = ctx.version_of(fn)
        self.is_async = inspect.iscoroutinefunction(fn)
        functools.update_wrapper(self, fn)

    def stabilize(self, implementation: Callable[P, R]) -> Callable[P, R]:
        """Decorator: register a plain-Python implementation under this function's name."""
        register_stabilized(self.name, implementation)
        return implementation

    # -- prompt -----------------------------------------------------------------------------
    def system_prompt(self) -> str:
        signature = _MODULE_PREFIX.sub(r"\1", f"def {self.fn.__name__}{self.signature}")
        doc = textwrap.indent(self.docstring, "    ")
        return f'{PREAMBLE}\n\n# Function\n{signature}:\n    """\n{doc}\n    """'

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    def _parts(self, arguments: dict[str, Any], context_text: str) -> tuple[Part, ...]:
        parts: list[Part] = []
        context_text = redact(context_text)
        text = [context_text + "\n", "# Arguments"] if context_text else ["# Arguments"]
        noted = False
        for name, value in arguments.items():
            if ctx.is_secret_name(name):
                text.append(f"{name}: [redacted]")
            elif _is_image(value):
                image = _image_part(value)
                text.append(f"{name}: <image {image.width}x{image.height}, below>")
                parts.append(TextPart("\n".join(text)))
                parts.append(image)
                text = []
            elif isinstance(value, Untrusted):
                if not noted:  # said once, before the first fenced value
                    text.append(UNTRUSTED_NOTE)
                    noted = True
                text.append(f"{name}: {redact(fence(value))}")
            else:
                text.append(f"{name}: {redact(ctx.render_value(value))}")
        if text:
            parts.append(TextPart("\n".join(text)))
        return tuple(parts)

    def _request(
        self, arguments: dict[str, Any], *, path: str, parent: ctx.CallNode | None, start_seq: int
    ) -> ModelRequest:
        return ModelRequest(
            function=self.name,
            call_path=path,
            system=self.system_prompt(),
            parts=self._parts(arguments, ctx.render_context_under(parent, start_seq=start_seq)),
            output_schema=self.output_schema,
            temperature=self.options.temperature,
            max_output_tokens=self.options.max_output_tokens,
            native=self.options.native,
            version=self.version,
            inputs_hash=self._inputs_hash(arguments),
        )

    def _inputs_hash(self, arguments: dict[str, Any]) -> str:
        """Hash of name, version and the arguments as rendered, images only by their name."""
        digest = hashlib.sha256(f"{self.name}\0{self.version}".encode())
        for name, value in arguments.items():
            if ctx.is_secret_name(name):
                rendered = "[redacted]"
            elif _is_image(value):
                rendered = "<image>"
            else:
                rendered = redact(ctx.render_value(value))
            digest.update(f"\0{name}={rendered}".encode())
        return digest.hexdigest()[:16]

    def render(self, *args: P.args, **kwargs: P.kwargs) -> ModelRequest:
        """The exact request a call with these arguments would send here, without calling."""
        parent = ctx.current_node()
        return self._request(
            self._bind(args, kwargs),
            path=ctx.peek_path(self.name, parent=parent),
            parent=parent,
            start_seq=ctx.next_seq(),
        )

    # -- calling ----------------------------------------------------------------------------
    def _run_model(self, node: ctx.CallNode, arguments: dict[str, Any]) -> R:
        model = _resolve(self.options.model)
        node.model = model.spec
        node.implementation = "model"
        request = self._request(
            arguments, path=node.path, parent=node.parent, start_seq=node.start_seq
        )
        trace = current_trace()
        image_refs = [trace.store_image(png) for png in request.images] if trace else []
        prompt_hash = request.prompt_hash()
        attempts: list[dict[str, str]] = []
        for attempt in range(1, self.options.max_retries + 2):
            ctx.require("model_calls", node=node)
            ctx.require("tokens", node=node)
            ctx.require("cost", node=node)
            ctx.require("time", node=node)
            request = _with_attempt(request, attempt, attempts)
            reply = model.complete(request)
            node.usage.add(reply.usage)
            ctx.charge(node=node, model_calls=1, tokens=reply.usage.total_tokens,
                       cost_usd=reply.usage.cost_usd)  # fmt: skip
            if trace is not None:
                trace.write(_model_record(node, self.version, request, reply, prompt_hash,
                                          image_refs))  # fmt: skip
            try:
                return typing.cast(R, self.adapter.validate_json(reply.text))
            except ValidationError as exc:
                error = _describe_validation_error(exc)
                log.info("%s attempt %d failed validation: %s", node.path, attempt, error)
                attempts.append({"reply": reply.text, "error": error})
        raise OutputValidationError(
            f"{self.name}: no valid reply after {len(attempts)} attempts; last error: "
            f"{attempts[-1]['error']}",
            function=self.name,
            attempts=attempts,
        )

    def _run_stabilized(self, node: ctx.CallNode, arguments: dict[str, Any]) -> R:
        node.implementation = "stabilized"
        value = _stabilized[self.name](**arguments)
        return typing.cast(R, self.adapter.validate_python(value))

    def _call(self, arguments: dict[str, Any]) -> R:
        node = ctx.start_node(
            self.name, kind="agentic", version=self.version, arguments=arguments
        )
        with ctx.enter(node):
            try:
                if self.name not in _stabilized:
                    _activate_stored(self)
                if self.name in _stabilized:
                    value = self._run_stabilized(node, arguments)
                else:
                    value = self._run_model(node, arguments)
            except BaseException as exc:
                ctx.finish_node(node, error=exc)
                raise
        ctx.finish_node(node, output=value, summarizer=self.options.summarize)
        return value

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        arguments = self._bind(args, kwargs)
        if self.is_async:
            return typing.cast(R, asyncio.to_thread(self._call, arguments))
        return self._call(arguments)


def _activate_stored(function: AgenticFunction[..., Any]) -> None:
    """Register the implementation `gui-agent evolve` stored for this function, if any."""
    from gui_agent.evolve.store import activate_for

    activate_for(function)


def _with_attempt(request: ModelRequest, attempt: int, attempts: list[dict[str, str]]) -> ModelRequest:
    from dataclasses import replace

    retries = tuple(Retry(reply_text=a["reply"], error=a["error"]) for a in attempts)
    return replace(request, attempt=attempt, retries=retries)


def _describe_validation_error(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False)[:8]:
        where = ".".join(str(part) for part in error["loc"]) or "(root)"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)


def _model_record(
    node: ctx.CallNode,
    version: str,
    request: ModelRequest,
    reply: ModelReply,
    prompt_hash: str,
    image_refs: list[str],
) -> dict[str, Any]:
    from gui_agent.models.pricing import estimate_tokens

    return {
        "event": "model",
        "path": node.path,
        "function": request.function,
        "version": version,
        "attempt": request.attempt,
        "prompt_hash": prompt_hash,
        "inputs_hash": request.inputs_hash,
        "reply": reply.text,
        "usage": reply.usage.as_dict(),
        "model": reply.model,
        "estimated_input_tokens": estimate_tokens(request),
        "images": image_refs,
    }


def agentic(
    fn: Callable[P, R] | None = None,
    *,
    name: str | None = None,
    model: Model | str | None = None,
    max_retries: int = 2,
    temperature: float | None = None,
    max_output_tokens: int = 4096,
    summarize: Callable[[Any], str] | None = None,
    native: NativeKind | None = None,
) -> Any:
    """Turn a docstring-only function into a typed model call (see the module docstring).

    Options: `model` (a Model or spec; default: the context's, then GUI_AGENT_MODEL),
    `max_retries` after a reply that fails validation, `temperature`, `max_output_tokens`,
    `summarize` (the one line the caller's later calls see of the returned value), and
    `native` (a backend may serve the call in its model family's own format: models/native/).
    """
    if max_retries < 0:
        raise ConfigError("max_retries must be >= 0")
    options = AgenticOptions(
        model=model,
        max_retries=max_retries,
        temperature=temperature,
        max_output_tokens=max_output_tokens,
        summarize=summarize,
        native=native,
    )

    def wrap(function: Callable[P, R]) -> AgenticFunction[P, R]:
        return AgenticFunction(function, name=name, options=options)

    return wrap(fn) if fn is not None else wrap
