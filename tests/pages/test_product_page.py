"""/p/{id} sells: every photo, what the piece is and who made it, its options and stock,
an order button and, if the cooperative published one, a WhatsApp link naming it."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.support.apps import Auth, make_app
from tests.support.listings import OPTIONS, Listings, page

COOP = "coop-taza-zerbia"

FULL = {
    "title": {"ar": "زربية بني ورين", "fr": "Tapis Beni Ouarain"},
    "description": {"ar": "صوف طبيعي منسوج يدويًا.", "fr": "Laine naturelle, nouée main."},
    "story": {"ar": "نسجتها فاطمة في شتاء طويل.", "fr": "Fatima l'a tissé pendant un long hiver."},
    "technique": "nouage berbère",
    "materials": ["laine de mouton", "henné"],
    "dimensions": {"length_cm": 200, "width_cm": 140, "height_cm": 1.5},
    "region": "draa-tafilalet",
    "price_centimes": 450000,
}


@pytest.fixture
def listings(app, client):
    return Listings(app, client)


def set_contacts(client, auth, contacts: list[dict]) -> None:
    """The cooperative publishes these contact channels in its directory document."""
    admin = auth.headers("admin")
    current = client.get(f"/sync/hirfa/cooperative:{COOP}", headers=admin).get_json()
    current["contacts"] = contacts
    put = client.put(f"/sync/hirfa/cooperative:{COOP}", json=current, headers=admin)
    assert put.status_code == 201, put.get_json()


def html_of(client, pid: str, lang: str) -> str:
    response = client.get(f"/p/{pid}", query_string={"lang": lang})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def links(html: str, prefix: str) -> list[str]:
    found = [unescape(h) for h in re.findall(r'href="([^"]*)"', html) if h.startswith(prefix)]
    # Not the share button, wa.me without a number (tests/pages/test_share_and_seo.py).
    return [h for h in found if not h.startswith("https://wa.me/?")]


def test_every_photo_shows_in_its_order_with_a_thumbnail_row(client, listings):
    made = [listings.photo(seed=n) for n in range(4)]
    pid = listings.published(**FULL, photos=[photo for photo, _ in made])
    html = html_of(client, pid, "fr")
    displays = re.findall(r'<img id="photo-(\d+)"[^>]* src="/media/([0-9a-f]{64})/display"', html)
    assert displays == [(str(n + 1), sha) for n, (_, sha) in enumerate(made)]
    for _, sha in made:  # the thumb is a smaller source of the same slide
        assert f'srcset="/media/{sha}/thumb 320w, /media/{sha}/display 1280w"' in html
    thumbs = re.findall(r'<a href="#photo-(\d+)"><img src="/media/([0-9a-f]{64})/thumb"', html)
    assert thumbs == displays
    assert html.count('loading="lazy"') == 3 + 4  # every slide but the first, every thumb
    with client.get(f"/media/{made[3][1]}/display") as image:
        assert image.status_code == 200


def test_photos_of_someone_else_or_not_ready_are_left_out(client, listings, auth):
    mine, sha = listings.photo()
    theirs, other_sha = listings.photo("artisan2", seed=3)
    pending = "photo:pending1"
    made = client.post(
        "/api/v1/photos", json={"id": pending, "sha256": "ef" * 32}, headers=auth.headers("artisan")
    )
    assert made.status_code == 201 and made.get_json()["status"] == "pending"
    pid = listings.published(**FULL, photos=[pending, mine, theirs])
    html = html_of(client, pid, "ar")
    assert f"/media/{sha}/display" in html
    assert other_sha not in html and "ef" * 32 not in html
    assert 'href="#photo-' not in html  # one photo: no thumbnail row


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "ar",
            [
                "نسجتها فاطمة في شتاء طويل.",
                "صوف طبيعي منسوج يدويًا.",
                "الحكاية",
                "التقنية",
                "nouage berbère",
                "المواد",
                "laine de mouton، henné",
                "الأبعاد",
                "200 × 140 × 1.5 cm",
                "درعة تافيلالت",
                "الجهة",
                "فاطمة أيت علي",
                "تعاونية الزربية التازية",
            ],
        ),
        (
            "fr",
            [
                "Fatima l&#39;a tissé pendant un long hiver.",
                "Laine naturelle, nouée main.",
                "L&#39;histoire",
                "Technique",
                "nouage berbère",
                "Matières",
                "laine de mouton, henné",
                "Dimensions",
                "200 × 140 × 1.5 cm",
                "Drâa-Tafilalet",
                "Région",
                "فاطمة أيت علي",
                "Coopérative Zerbia de Taza",
            ],
        ),
    ],
)
def test_what_the_piece_is_and_who_made_it(client, listings, lang, words):
    pid = listings.published(**FULL)
    html = html_of(client, pid, lang)
    for word in words:
        assert word in html, word
    assert links(html, "/c/").count(f"/c/{COOP}") == 2  # the artisan and her cooperative
    assert page(client.get(f"/p/{pid}?lang={lang}")).html_attrs["dir"] == (
        "rtl" if lang == "ar" else "ltr"
    )


def test_options_show_their_choices_with_signed_price_differences(client, listings):
    options = [
        *OPTIONS,
        {
            "code": "colour",
            "label": {"ar": "اللون", "fr": "Couleur"},
            "choices": [
                {"code": "nat", "label": {"ar": "طبيعي", "fr": "Naturel"}},
                {
                    "code": "ind",
                    "label": {"ar": "نيلي", "fr": "Indigo"},
                    "price_delta_centimes": 5000,
                },
                {
                    "code": "small",
                    "label": {"fr": "Sans franges"},
                    "price_delta_centimes": -2550,
                },
            ],
        },
    ]
    pid = listings.published(**FULL, options=options)
    fr = html_of(client, pid, "fr")
    assert "Taille" in fr and "Couleur" in fr and "Naturel" in fr and "Indigo" in fr
    assert "+500\u00a0DH" in fr and "+50\u00a0DH" in fr and "-25,50\u00a0DH" in fr
    assert re.search(r"Naturel</bdi></span>", fr)  # no difference, no figure
    ar = html_of(client, pid, "ar")
    assert "اللون" in ar and "نيلي" in ar
    assert "\u2066+50\u2069\u00a0درهم" in ar and "\u2066-25,50\u2069\u00a0درهم" in ar


def test_stock_in_both_modes(client, listings):
    made = listings.published(**FULL, stock={"mode": "made_to_order", "production_days": 21})
    assert "Fait sur commande en 21 jours" in html_of(client, made, "fr")
    assert "يُصنع عند الطلب في 21 يومًا" in html_of(client, made, "ar")
    three = listings.published(**FULL, stock={"mode": "in_stock", "quantity": 3})
    assert "Plus que 3 pièces en stock" in html_of(client, three, "fr")
    assert "بقي في المخزون: 3 قطعة" in html_of(client, three, "ar")
    assert "3 pieces left" in html_of(client, three, "en")
    one = listings.published(**FULL, stock={"mode": "in_stock", "quantity": 1})
    assert "Plus qu&#39;une pièce en stock" in html_of(client, one, "fr")
    none = listings.published(**FULL, stock={"mode": "in_stock", "quantity": 0})
    assert "Épuisé" in html_of(client, none, "fr")
    unknown = listings.published(**FULL)
    assert '<p class="avail">En stock</p>' in html_of(client, unknown, "fr")


def test_the_order_button_links_to_the_order_form_in_the_pages_language(client, listings):
    pid = listings.published(**FULL)
    for lang in ("ar", "fr", "en"):
        html = html_of(client, pid, lang)
        assert links(html, "/buy/") == [f"/buy/p/{pid}?lang={lang}"]
    assert 'class="btn" href="/buy/p/' in html


def test_whatsapp_link_names_the_product_and_its_link(client, listings, auth):
    pid = listings.published(**FULL)
    assert links(html_of(client, pid, "fr"), "https://wa.me/") == []  # nothing published
    set_contacts(client, auth, [{"kind": "phone", "value": "+212 522 00 00 00"}])
    assert links(html_of(client, pid, "fr"), "https://wa.me/") == []  # a phone is not WhatsApp
    set_contacts(
        client,
        auth,
        [
            {"kind": "phone", "value": "+212 522 00 00 00"},
            {"kind": "whatsapp", "value": "+212 600-000 999"},
        ],
    )
    absolute = f"http://localhost/p/{pid}"
    for lang, title, greeting in (
        ("fr", "Tapis Beni Ouarain", "Bonjour, ce produit m'intéresse : "),
        ("ar", "زربية بني ورين", "السلام عليكم، يهمّني هذا المنتج: "),
    ):
        html = html_of(client, pid, lang)
        (href,) = links(html, "https://wa.me/")
        message = f"{greeting}{title}\n{absolute}"
        assert href == f"https://wa.me/212600000999?text={quote(message, safe='')}"
        parts = urlsplit(href)
        assert parts.path == "/212600000999"
        text = parse_qs(parts.query)["text"][0]
        assert title in text and absolute in text
        assert " " not in href and "\n" not in href  # urlencoded
        assert 'rel="noopener"' in html and 'target="_blank"' not in html


def test_whatsapp_message_uses_the_configured_public_url(tmp_path):
    app = make_app(tmp_path, public_url="https://hirfa.ma")
    client = app.test_client()
    listings = Listings(app, client)
    pid = listings.published(**FULL)
    set_contacts(client, Auth(client), [{"kind": "whatsapp", "value": "+212600000999"}])
    (href,) = links(html_of(client, pid, "en"), "https://wa.me/")
    assert f"https://hirfa.ma/p/{pid}" in parse_qs(urlsplit(href).query)["text"][0]


def test_everything_is_escaped(client, listings, auth):
    evil = '<script>alert("x")</script>'
    pid = listings.published(
        title={"fr": evil},
        story={"fr": evil},
        technique=evil[:200],
        materials=[evil],
        options=[
            {
                "code": "x",
                "label": {"fr": evil},
                "choices": [{"code": "y", "label": {"fr": evil}, "price_delta_centimes": 100}],
            }
        ],
    )
    set_contacts(client, auth, [{"kind": "whatsapp", "value": '"><script>1</script>212600'}])
    html = html_of(client, pid, "fr")
    # The one script element is schema.org's JSON-LD, data that no browser runs.
    assert "<script" not in html.replace('<script type="application/ld+json">', "", 1)
    assert "&lt;script&gt;" in html
    (href,) = links(html, "https://wa.me/")
    assert href.startswith("https://wa.me/1212600?text=")


def test_twelve_photos_and_ten_options_weigh_under_60_kb(client, listings):
    photos = [listings.photo(seed=n)[0] for n in range(12)]
    options = [
        {
            "code": f"opt{n}",
            "label": {"ar": f"الاختيار رقم {n}", "fr": f"Option numéro {n}", "en": f"Option {n}"},
            "choices": [
                {
                    "code": f"c{k}",
                    "label": {
                        "ar": f"اختيار طويل بعض الشيء {k}",
                        "fr": f"Choix un peu long {k}",
                        "en": f"A longer choice {k}",
                    },
                    "price_delta_centimes": 1000 * k,
                }
                for k in range(6)
            ],
        }
        for n in range(10)
    ]
    pid = listings.published(
        **{
            **FULL,
            "title": {
                "ar": "زربية أمازيغية تقليدية منسوجة يدويًا من صوف الأطلس المتوسط",
                "fr": "Tapis amazigh traditionnel tissé main en laine du Moyen Atlas",
            },
            "description": {
                "ar": "نسيج يدوي من صوف الغنم بألوان طبيعية من الحناء والنيلة. " * 16,
                "fr": "Laine de mouton tissée main, teintures naturelles au henné. " * 16,
            },
            "story": {
                "ar": "حكاية الزربية من الجز إلى الغزل إلى النسج في ليالي الشتاء. " * 16,
                "fr": "L'histoire du tapis, de la tonte au filage et au tissage. " * 16,
            },
            "materials": [f"matière {n}" for n in range(20)],
        },
        photos=photos,
        options=options,
        stock={"mode": "in_stock", "quantity": 4},
    )
    for lang in ("ar", "fr", "en"):
        response = client.get(f"/p/{pid}", query_string={"lang": lang})
        assert len(response.data) < 60 * 1024, (lang, len(response.data))
        assert response.get_data(as_text=True).count('href="#photo-') == 12


def test_a_very_long_title_is_cut_in_the_whatsapp_message(client, listings, auth):
    pid = listings.published(title={"fr": "Tapis " + "très " * 900})
    set_contacts(client, auth, [{"kind": "whatsapp", "value": "+212600000999"}])
    (href,) = links(html_of(client, pid, "fr"), "https://wa.me/")
    text = parse_qs(urlsplit(href).query)["text"][0]
    assert "…" in text and text.endswith(f"http://localhost/p/{pid}") and len(text) < 250
