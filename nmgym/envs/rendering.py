"""nmgym's envs draw nothing: Gymnasium's render contract for an env whose only mode is ``None``."""

from __future__ import annotations


def check_render_mode(render_mode: str | None, what: str) -> None:
    """Refuse any render mode: ``what`` (e.g. "nmgym tasks") has none to offer."""
    if render_mode is not None:
        raise ValueError(f"render_mode={render_mode!r} is not supported; {what} do not render")


class NoRendering:
    """``render()`` returns ``None``, as Gymnasium specifies for ``render_mode=None`` (the base
    classes raise ``NotImplementedError``). Put it before the Gymnasium base class."""

    def render(self) -> None:
        return None
