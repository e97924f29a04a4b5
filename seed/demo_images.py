"""Small pictures for the demo listings, drawn with Pillow (no photo files in the repo)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

PALETTES = {
    "carpets": [(150, 30, 40), (235, 220, 190), (40, 40, 90), (200, 120, 40)],
    "pottery": [(170, 90, 50), (30, 90, 140), (240, 230, 210), (60, 130, 90)],
    "argan": [(200, 150, 60), (120, 80, 30), (250, 240, 220), (90, 110, 40)],
    "basketry": [(210, 180, 120), (160, 120, 70), (240, 225, 190), (120, 90, 50)],
    "embroidery": [(245, 240, 235), (180, 30, 80), (30, 120, 110), (230, 170, 40)],
    "leather": [(140, 80, 40), (90, 50, 20), (220, 180, 120), (60, 30, 10)],
    "woodwork": [(150, 100, 60), (110, 70, 40), (200, 160, 110), (70, 40, 20)],
}


def draw(category: str, seed: int, size: tuple[int, int] = (800, 600)) -> bytes:
    """A JPEG evoking the craft: a lozenge pattern for carpets, rings for pottery, etc."""
    rnd = random.Random(seed)
    colours = PALETTES.get(category, PALETTES["carpets"])
    image = Image.new("RGB", size, colours[2])
    pen = ImageDraw.Draw(image)
    width, height = size
    if category in ("carpets", "embroidery", "basketry"):
        step = rnd.choice([60, 80, 100])
        for row, y in enumerate(range(-step, height + step, step)):
            for col, x in enumerate(range(-step, width + step, step)):
                colour = colours[(row + col) % 2 == 0 and 0 or 1]
                pen.polygon(
                    [
                        (x, y - step // 2),
                        (x + step // 2, y),
                        (x, y + step // 2),
                        (x - step // 2, y),
                    ],
                    outline=colour,
                    fill=colours[3] if (row * col) % 3 == 0 else None,
                    width=6,
                )
    else:
        cx, cy = width // 2, height // 2
        for ring in range(12, 0, -1):
            radius = ring * min(width, height) // 26
            pen.ellipse(
                [cx - radius, cy - radius, cx + radius, cy + radius],
                fill=colours[ring % len(colours)],
            )
    for _ in range(400):  # a little grain so it compresses like a photo, not a drawing
        x, y = rnd.randrange(width), rnd.randrange(height)
        pen.point((x, y), fill=colours[rnd.randrange(len(colours))])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
