"""A figure as a small PNG, and as Dagster metadata (a markdown image with a base64 data URI).

Dagster shows markdown metadata in the UI; an embedded ``data:image/png;base64`` image is the way
its docs show a plot next to a materialisation. The PNG is kept under ``max_bytes`` (event logs
store it) by lowering the resolution until it fits.
"""

from __future__ import annotations

import base64
import io

import dagster as dg
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MAX_IMAGE_BYTES = 150_000
DPIS = (100, 80, 64, 50)


def png_bytes(figure: Figure, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """The figure as PNG at the highest resolution in ``DPIS`` that fits in ``max_bytes``."""
    FigureCanvasAgg(figure)  # attaches the Agg canvas: no display, no pyplot
    sizes = []
    for dpi in DPIS:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"optimize": True})
        png = buffer.getvalue()
        if len(png) <= max_bytes:
            return png
        sizes.append(f"{len(png)} bytes at {dpi} dpi")
    raise ValueError(f"figure does not fit in {max_bytes} bytes: {', '.join(sizes)}")


def image_metadata(figure: Figure, alt: str, max_bytes: int = MAX_IMAGE_BYTES) -> dg.MarkdownMetadataValue:
    """Markdown metadata showing the figure (``alt`` describes it in words)."""
    encoded = base64.b64encode(png_bytes(figure, max_bytes)).decode("ascii")
    label = alt.replace("[", "(").replace("]", ")")
    return dg.MetadataValue.md(f"![{label}](data:image/png;base64,{encoded})")
