"""Demo training: two short courses in Arabic and French, with pictures and a voice
clip, offered to every cooperative, and one demo artisan (Fatima) holding the
certificate of the first. Idempotent, like the rest of the seed.

The courses answer what coordinators most often ask artisans to change: photographs
(light, background, angles) and prices (materials and hours). The pictures are drawn
here with Pillow; the voice clip is seed/media/voice.opus (its README says how it was
made). Everything goes through the same services as an upload and a sync.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from api.services import audio, lesson_media, media
from api.services.directory_docs import SERVER
from api.services.training import feed, progress
from sync.rules.access import make_check
from sync.store.documents import DocumentStore

MEDIA = Path(__file__).resolve().parent / "media"
HOLDER = ("art_fatima", "coop-taza-zerbia")
PHOTO_COURSE, PRICING_COURSE = "course:photo-basics", "course:pricing"


def _picture(scene: str) -> bytes:
    """A simple drawing for a lesson: a window's light, a plain background, three angles."""
    image = Image.new("RGB", (960, 640), (245, 238, 226))
    draw = ImageDraw.Draw(image)
    rug = (150, 60, 40)
    if scene == "light":
        draw.rectangle((60, 60, 360, 520), fill=(255, 246, 200), outline=(120, 100, 80), width=8)
        draw.polygon([(360, 80), (900, 300), (900, 600), (360, 520)], fill=(252, 240, 205))
        draw.rectangle((520, 330, 820, 560), fill=rug)
    elif scene == "background":
        draw.rectangle((0, 0, 960, 640), fill=(236, 236, 232))
        draw.rectangle((280, 160, 680, 480), fill=rug)
        for y in range(180, 470, 40):
            draw.line((300, y, 660, y), fill=(235, 200, 140), width=6)
    else:
        for i, x in enumerate((80, 380, 680)):
            draw.rectangle((x, 220 - 40 * i, x + 200, 420), fill=rug)
            draw.ellipse((x + 70, 460, x + 130, 520), fill=(60, 60, 60))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def _stored_picture(scene: str, media_dir: str, max_pixels: int) -> dict[str, Any]:
    data = _picture(scene)
    sha = hashlib.sha256(data).hexdigest()
    with tempfile.NamedTemporaryFile(suffix=".jpg") as tmp:
        tmp.write(data)
        tmp.flush()
        media.ingest(tmp.name, sha, media_dir, max_pixels)
    found = lesson_media.find(media_dir, sha)
    assert found is not None
    return found.media


def _stored_voice(media_dir: str, max_bytes: int, max_seconds: int) -> dict[str, Any]:
    path = MEDIA / "voice.opus"
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    audio.ingest(path, sha, media_dir, max_bytes=max_bytes, max_seconds=max_seconds)
    found = lesson_media.find(media_dir, sha)
    assert found is not None
    return found.media


def _q(qid: str, ar: str, fr: str, choices: list[tuple[str, str, str]], answer: str | None = None):
    question = {
        "id": qid,
        "prompt": {"ar": ar, "fr": fr},
        "choices": [{"id": c, "label": {"ar": a, "fr": f}} for c, a, f in choices],
    }
    return {**question, "answer": answer} if answer else question


def _courses(pictures: dict[str, dict], voice: dict) -> list[tuple[dict, dict[str, str]]]:
    """(course document, its assessment key)."""
    issuer = {"name": "Hirfa — programme de formation des coopératives"}
    common = {
        "type": "course",
        "cooperative": None,
        "author": "adm_demo",
        "issuer": issuer,
        "status": "published",
        "offered_to": ["*"],
    }
    photo = {
        "_id": PHOTO_COURSE,
        **common,
        "title": {"ar": "تصوير المنتوج بالهاتف", "fr": "Photographier son produit au téléphone"},
        "summary": {
            "ar": "الضوء والخلفية والزوايا: ما تطلبه التعاونية أكثر من غيره.",
            "fr": "La lumière, le fond, les angles : ce que la coopérative demande le plus.",
        },
        "hours": 2,
        "lessons": [
            {
                "id": "light",
                "title": {"ar": "الضوء", "fr": "La lumière"},
                "steps": [
                    {"kind": "picture", "media": pictures["light"]},
                    {
                        "kind": "text",
                        "text": {
                            "ar": "صوّري قرب نافذة في النهار، بلا فلاش.",
                            "fr": "Photographiez près d'une fenêtre, de jour, sans flash.",
                        },
                    },
                    {"kind": "audio", "media": voice},
                ],
            },
            {
                "id": "background",
                "title": {"ar": "الخلفية", "fr": "Le fond"},
                "steps": [
                    {"kind": "picture", "media": pictures["background"]},
                    {
                        "kind": "text",
                        "text": {
                            "ar": "خلفية بلون واحد، بلا أشياء أخرى.",
                            "fr": "Un fond d'une seule couleur, sans autres objets.",
                        },
                    },
                ],
                "quiz": {
                    "questions": [
                        _q(
                            "p1",
                            "أي خلفية أفضل؟",
                            "Quel fond est le meilleur ?",
                            [("a", "حائط بلون واحد", "Un mur uni"), ("b", "السوق", "Le souk")],
                            "a",
                        )
                    ]
                },
            },
            {
                "id": "angles",
                "title": {"ar": "الزوايا", "fr": "Les angles"},
                "steps": [
                    {"kind": "picture", "media": pictures["angles"]},
                    {
                        "kind": "text",
                        "text": {
                            "ar": "ثلاث صور: من الأمام، من الجانب، وعن قرب.",
                            "fr": "Trois photos : de face, de côté, et de près.",
                        },
                    },
                ],
            },
        ],
        "assessment": {
            "pass_mark": 70,
            "questions": [
                _q(
                    "q1",
                    "متى نصوّر؟",
                    "Quand photographier ?",
                    [("a", "في النهار", "De jour"), ("b", "في الليل بالفلاش", "La nuit au flash")],
                ),
                _q(
                    "q2",
                    "كم صورة؟",
                    "Combien de photos ?",
                    [("a", "واحدة", "Une"), ("b", "ثلاث", "Trois")],
                ),
                _q(
                    "q3",
                    "أين نضع القطعة؟",
                    "Où poser la pièce ?",
                    [
                        ("a", "أمام حائط بلون واحد", "Devant un mur uni"),
                        ("b", "على زربية أخرى", "Sur un autre tapis"),
                    ],
                ),
            ],  # fmt: skip
        },
    }
    pricing = {
        "_id": PRICING_COURSE,
        **common,
        "title": {"ar": "تسعير عملك", "fr": "Fixer le prix de son travail"},
        "summary": {
            "ar": "ثمن المواد وساعات العمل، ثم الثمن النهائي.",
            "fr": "Le coût des matières et des heures, puis le prix final.",
        },
        "hours": 2,
        "lessons": [
            {
                "id": "materials",
                "title": {"ar": "ثمن المواد", "fr": "Le coût des matières"},
                "steps": [
                    {
                        "kind": "text",
                        "text": {
                            "ar": "اجمعي ثمن الصوف والصباغة وكل ما استعملتِ.",
                            "fr": "Additionnez la laine, les teintures, tout ce que vous utilisez.",
                        },
                    },
                    {"kind": "audio", "media": voice},
                ],
            },
            {
                "id": "hours",
                "title": {"ar": "ساعات العمل", "fr": "Les heures de travail"},
                "steps": [
                    {
                        "kind": "text",
                        "text": {
                            "ar": "احسبي ساعاتك واضربيها في أجر الساعة.",
                            "fr": "Comptez vos heures et multipliez par le prix d'une heure.",
                        },
                    }
                ],
            },
        ],
        "assessment": {
            "pass_mark": 50,
            "questions": [
                _q(
                    "q1",
                    "ماذا نحسب أولاً؟",
                    "Que compter d'abord ?",
                    [
                        ("a", "ثمن المواد", "Le coût des matières"),
                        ("b", "ثمن الجارة", "Le prix de la voisine"),
                    ],
                ),
                _q(
                    "q2",
                    "هل نحسب الساعات؟",
                    "Compte-t-on les heures ?",
                    [("a", "نعم", "Oui"), ("b", "لا", "Non")],
                ),
            ],  # fmt: skip
        },
    }
    return [(photo, {"q1": "a", "q2": "b", "q3": "a"}), (pricing, {"q1": "a", "q2": "a"})]


def populate_training(
    store: DocumentStore,
    media_dir: str,
    max_pixels: int,
    audio_max_bytes: int,
    audio_max_seconds: int,
    public_url: str = "",
) -> dict[str, int]:
    """The demo courses, and Fatima's certificate of the first; returns what was made."""
    made = {"courses": 0, "certificates": 0}
    if store.winner_body(PHOTO_COURSE) is not None:
        return made
    pictures = {
        s: _stored_picture(s, media_dir, max_pixels) for s in ("light", "background", "angles")
    }
    voice = _stored_voice(media_dir, audio_max_bytes, audio_max_seconds)
    check = make_check(SERVER, lambda _a: None)
    for course, key in _courses(pictures, voice):
        store.put(course, check=check)
        progress.set_answer_key(store.db, course["_id"], key)
        made["courses"] += 1
    artisan, coop = HOLDER
    her_progress = {
        "_id": f"progress:photo-basics:{artisan}",
        "type": "progress",
        "owner": artisan,
        "cooperative": coop,
        "course": PHOTO_COURSE,
        "steps_seen": ["light/0", "light/1", "light/2", "background/0", "background/1"],
        "lessons_done": ["light", "background", "angles"],
        "quiz_scores": {"background": 100},
        "assessment_answers": {"q1": "a", "q2": "b", "q3": "a"},
    }
    store.put(her_progress, check=check)
    if feed.settle_progress(store, her_progress, public_url):
        made["certificates"] += 1
    return made
