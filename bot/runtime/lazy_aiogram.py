"""Import aiogram without building all of its ~440 pydantic models up front.

`aiogram.types` ends by calling `model_rebuild()` on every Telegram type, which forces pydantic
to build a validator for each: measured here at 2.1 s of start-up and about 100 MiB of resident
memory, for types a shop bot mostly never receives (stickers, games, business accounts...).
The models themselves are declared `defer_build=True`, so pydantic can build each one on its
first use, provided it can resolve the forward references (`"Message"`...) then. During the
import we therefore replace the eager rebuild by remembering the namespace aiogram passes
(pydantic's own `__pydantic_parent_namespace__`, which a deferred build reads), and restore
`model_rebuild` right after. tests/unit/test_lazy_aiogram.py checks, in a fresh interpreter,
that every aiogram type still builds and validates this way.

Call `import_aiogram_lazily()` before anything imports aiogram (main.py does); if aiogram was
already imported it only installs `keep_result_types()`, which is worth having either way.
"""

from __future__ import annotations

import sys
from typing import Any, get_args

from pydantic import BaseModel


def import_aiogram_lazily() -> bool:
    """Import aiogram with deferred model builds; False if it was imported already."""
    if "aiogram" in sys.modules:
        keep_result_types()
        return False
    eager = BaseModel.__dict__["model_rebuild"]

    def remember_namespace(cls: type[BaseModel], /, **kwargs: Any) -> bool | None:
        namespace = kwargs.get("_types_namespace")
        deferred = cls.model_config.get("defer_build") and cls.__module__.startswith("aiogram.")
        if namespace is None or not deferred or cls.__pydantic_complete__:
            rebuilt: bool | None = eager.__func__(cls, **kwargs)
            return rebuilt
        cls.__pydantic_parent_namespace__ = dict(namespace)
        pending[cls.__module__] = namespace
        return None

    pending: dict[str, Any] = {}
    # Swapping pydantic's classmethod for the import only (the module docstring says why);
    # mypy refuses any assignment to a method, hence the two ignores.
    BaseModel.model_rebuild = classmethod(remember_namespace)  # type: ignore[assignment]
    try:
        import aiogram  # noqa: F401
    finally:
        BaseModel.model_rebuild = eager  # type: ignore[method-assign]
    # A deferred build of a model that nests another resolves the nested one's references in
    # the nested one's module: give each types module the names its TYPE_CHECKING imports
    # hide. Only now, after the import: method models (not deferred) tried to build while
    # aiogram was imported and, failing on these names, were deferred too, so they cost
    # nothing until used.
    for module, namespace in pending.items():
        globals_ = vars(sys.modules[module])
        for name, value in namespace.items():
            globals_.setdefault(name, value)
    keep_result_types()
    return True


def keep_result_types() -> None:
    """Keep aiogram's `Response[T]` classes alive, and build `T` before the first one.

    aiogram parametrises `Response[T]` (T = the method's result: `Message`, `bool`...) on
    every API call. pydantic caches parametrised classes only weakly, so each garbage
    collection frees them and the next call builds `Response[Message]` again: 0.1-0.4 s of
    CPU blocking the event loop (measured; hundreds of times in a bench run). There are a few
    dozen result types, so a strong cache is small. Building `T` first matters with deferred
    builds: a `Response[T]` of an unbuilt `T` would regenerate `T`'s schema every time.
    """
    from aiogram.methods.base import Response

    if "__kiosk_results__" in Response.__dict__:
        return
    parametrise = Response.__dict__.get("__class_getitem__", None)
    original = (parametrise or BaseModel.__dict__["__class_getitem__"]).__func__
    results: dict[Any, Any] = {}

    def cached(cls: type[Response[Any]], params: Any) -> Any:
        key = (cls, params)
        try:
            return results[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable parameter: no caching
            return original(cls, params)
        _complete(params)
        results[key] = original(cls, params)
        return results[key]

    # A patched classmethod and a marker attribute aiogram's class doesn't declare: both are
    # deliberate, and mypy refuses both.
    Response.__class_getitem__ = classmethod(cached)  # type: ignore[assignment]
    Response.__kiosk_results__ = results  # type: ignore[attr-defined]


def _complete(annotation: Any) -> None:
    if isinstance(annotation, tuple):
        for item in annotation:
            _complete(item)
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not annotation.__pydantic_complete__:
            annotation.model_rebuild(_parent_namespace_depth=0)
        return
    for arg in get_args(annotation):
        _complete(arg)
