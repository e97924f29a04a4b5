"""What each notification says, in Arabic, French and English, short enough for a lock
screen, and the ids it carries so the app can start a sync of exactly those documents.

Texts address the artisan in the feminine in Arabic (the cooperatives' artisans are
women). FCM data values must be strings, so every id is sent as a string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..bulk.words import PAYMENT_METHODS, REFUSAL_REASONS, money

LOCALES = ("ar", "fr", "en")
FALLBACK_LOCALE = "ar"
# Android shows about 40 characters of a title and 2 lines of body on the lock screen.
TITLE_MAX, BODY_MAX = 40, 100


@dataclass(frozen=True)
class Kind:
    ttl_seconds: int
    titles: dict[str, str]
    bodies: dict[str, str]


DAY = 24 * 3600

STATUS_LABELS = {
    "placed": {"ar": "طلب جديد", "fr": "Nouvelle commande", "en": "New order"},
    "accepted": {"ar": "تم قبول الطلب", "fr": "Commande acceptée", "en": "Order accepted"},
    "declined": {"ar": "تم رفض الطلب", "fr": "Commande refusée", "en": "Order declined"},
    "cancelled": {"ar": "تم إلغاء الطلب", "fr": "Commande annulée", "en": "Order cancelled"},
    "in_production": {"ar": "الطلب قيد الصنع", "fr": "En fabrication", "en": "Being made"},
    "ready": {"ar": "الطلب جاهز", "fr": "Commande prête", "en": "Order ready"},
    "shipped": {"ar": "تم شحن الطلب", "fr": "Commande expédiée", "en": "Order shipped"},
    "delivered": {"ar": "تم تسليم الطلب", "fr": "Commande livrée", "en": "Order delivered"},
}

DECISIONS = {
    "approve": {"ar": "تمت الموافقة على منتجك", "fr": "Produit approuvé", "en": "Product approved"},
    "request_changes": {
        "ar": "مطلوب تعديل منتجك",
        "fr": "Modifications demandées",
        "en": "Changes requested",
    },
    "reject": {"ar": "لم يتم قبول منتجك", "fr": "Produit refusé", "en": "Product rejected"},
}

BULK_LABELS = {
    "accepted": {
        "ar": "تم قبول طلبك بالجملة",
        "fr": "Commande en gros acceptée",
        "en": "Bulk order accepted",
    },
    "declined": {
        "ar": "تم رفض طلبك بالجملة",
        "fr": "Commande en gros refusée",
        "en": "Bulk order declined",
    },
    "cancelled": {
        "ar": "تم إلغاء الطلب بالجملة",
        "fr": "Commande en gros annulée",
        "en": "Bulk order cancelled",
    },
}
SHIPMENT_LABELS = {
    "shipped": {"ar": "تم شحن طرد", "fr": "Colis expédié", "en": "Parcel shipped"},
    "delivered": {"ar": "تم تسليم الطرد", "fr": "Colis livré", "en": "Parcel delivered"},
}
EARNING_LABELS = {
    "earned": {"ar": "لكِ {amount}", "fr": "Vous avez gagné {amount}", "en": "You earned {amount}"},
    "paid": {
        "ar": "توصلتِ بـ {amount}",
        "fr": "Paiement de {amount}",
        "en": "Paid to you: {amount}",
    },
    "correction": {
        "ar": "تصحيح: {amount}",
        "fr": "Correction : {amount}",
        "en": "Correction: {amount}",
    },
}
# Kinds whose title is chosen by a field of the data: kind -> (field, titles by value).
TITLED_BY = {
    "order_moved": ("status", STATUS_LABELS),
    "review_decided": ("decision", DECISIONS),
    "bulk_moved": ("status", BULK_LABELS),
    "bulk_shipped": ("status", SHIPMENT_LABELS),
    "earning_recorded": ("entry_kind", EARNING_LABELS),
}

KINDS: dict[str, Kind] = {
    # To the artisan: a buyer ordered one of her pieces.
    "order_placed": Kind(
        7 * DAY,
        STATUS_LABELS["placed"],
        {
            "ar": "{quantity} × {product}. افتحي التطبيق للرد",
            "fr": "{quantity} × {product}. Ouvrez l'appli pour répondre",
            "en": "{quantity} × {product}. Open the app to answer",
        },
    ),
    # To the other party: the order moved (title from STATUS_LABELS).
    "order_moved": Kind(7 * DAY, {}, {"ar": "{product}", "fr": "{product}", "en": "{product}"}),
    # To the artisan: the cooperative reviewed her listing (title from DECISIONS).
    "review_decided": Kind(
        7 * DAY,
        {},
        {
            "ar": "افتحي التطبيق لرؤية التفاصيل",
            "fr": "Ouvrez l'appli pour voir le détail",
            "en": "Open the app for details",
        },
    ),
    # To a coordinator: one digest of the listings waiting for review, not one per photo.
    # Its title has a plural form per count (COUNTED below).
    "uploads_waiting": Kind(
        DAY, {}, {"ar": "{cooperative}", "fr": "{cooperative}", "en": "{cooperative}"}
    ),
    # To an artisan: her cooperative offers her a course (downloaded at her next sync).
    "course_offered": Kind(
        14 * DAY,
        {"ar": "دورة تكوينية جديدة", "fr": "Nouvelle formation", "en": "New course"},
        {"ar": "{course}", "fr": "{course}", "en": "{course}"},
    ),
    # To an artisan: she earned a certificate.
    "certificate_issued": Kind(
        30 * DAY,
        {"ar": "مبروك! حصلتِ على شهادة", "fr": "Bravo ! Votre certificat", "en": "Your certificate"},
        {"ar": "{course}", "fr": "{course}", "en": "{course}"},
    ),
    # To a coordinator: a material in the store fell below its threshold (once per fall).
    "low_stock": Kind(
        3 * DAY,
        {
            "ar": "المخزون منخفض: {material}",
            "fr": "Stock bas : {material}",
            "en": "Low stock: {material}",
        },
        {
            "ar": "بقي {left} في المخزن",
            "fr": "Il reste {left} au magasin",
            "en": "{left} left in the store",
        },
    ),
    # To a cooperative's coordinators: a buyer booked places in a workshop session.
    "booking_made": Kind(
        3 * DAY,
        {"ar": "حجز جديد", "fr": "Nouvelle réservation", "en": "New booking"},
        {
            "ar": "{workshop} · {when} · الأماكن: {places}",
            "fr": "{workshop} · {when} · places : {places}",
            "en": "{workshop} · {when} · places: {places}",
        },
    ),
    # To the other side of a booking: the buyer or a coordinator cancelled it.
    "booking_cancelled": Kind(
        3 * DAY,
        {"ar": "تم إلغاء الحجز", "fr": "Réservation annulée", "en": "Booking cancelled"},
        {
            "ar": "{workshop} · {when}: {reason}",
            "fr": "{workshop} · {when} : {reason}",
            "en": "{workshop} · {when}: {reason}",
        },
    ),
    # To an artisan, once per ISO week when her pages were seen or she had orders: her
    # piece (or her pieces) and last week's counts (COUNTED_PHRASES below).
    "insights_weekly": Kind(
        7 * DAY,
        {"ar": "أسبوعك على حرفة", "fr": "Votre semaine sur Hirfa", "en": "Your week on Hirfa"},
        {
            "ar": "{product}: {views}، {orders} في الأسبوع الماضي",
            "fr": "{product} : {views}, {orders} la semaine dernière",
            "en": "{product}: {views}, {orders} last week",
        },
    ),
    # To a coordinator, once per ISO week when her cooperatives' pages were seen or
    # ordered from: their totals.
    "insights_weekly_coop": Kind(
        7 * DAY,
        {
            "ar": "الأسبوع الماضي: {cooperative}",
            "fr": "Semaine passée : {cooperative}",
            "en": "Last week: {cooperative}",
        },
        {
            "ar": "{views}، {previews}، {orders}",
            "fr": "{views}, {previews}, {orders}",
            "en": "{views}, {previews}, {orders}",
        },
    ),
    # To a cooperative's coordinators: a buyer asks for many pieces.
    "bulk_requested": Kind(
        7 * DAY,
        {"ar": "طلب بالجملة جديد", "fr": "Nouvelle commande en gros", "en": "New bulk order"},
        {
            "ar": "{quantity} × {product} · قبل {due}",
            "fr": "{quantity} × {product} · pour le {due}",
            "en": "{quantity} × {product} · by {due}",
        },
    ),
    # To the other side of a bulk order: the cooperative answered, or it was cancelled.
    "bulk_moved": Kind(
        7 * DAY,
        {},
        {
            "ar": "{quantity} × {product}",
            "fr": "{quantity} × {product}",
            "en": "{quantity} × {product}",
        },
    ),
    # To the buyer when a parcel leaves; to the cooperative and the artisans when it arrives.
    "bulk_shipped": Kind(
        7 * DAY,
        {},
        {
            "ar": "{count} × {product} {tracking}",
            "fr": "{count} × {product} {tracking}",
            "en": "{count} × {product} {tracking}",
        },
    ),
    # To an artisan: her pieces were checked; refused ones with the reason, in her language.
    "pieces_checked": Kind(
        7 * DAY,
        {"ar": "تم فحص قطعك", "fr": "Vos pièces sont contrôlées", "en": "Your pieces were checked"},
        {
            "ar": "{product}: مقبولة {passed}، مرفوضة {refused} {reason}",
            "fr": "{product} : {passed} acceptées, {refused} refusées {reason}",
            "en": "{product}: {passed} passed, {refused} refused {reason}",
        },
    ),
    # To an artisan: what she earned, was paid, or a correction (title by the entry's kind).
    "earning_recorded": Kind(30 * DAY, {}, {"ar": "{detail}", "fr": "{detail}", "en": "{detail}"}),
}

# What the weekly insights call several pieces at once (instead of one product's title).
YOUR_PIECES = {"ar": "منتجاتك", "fr": "Vos pièces", "en": "Your pieces"}

# Counts inside a body, by CLDR plural category: {views}, {previews}, {orders} of the
# kinds that name them, from the data's integer of the same name.
COUNTED_PHRASES = {
    "views": {
        "ar": {"zero": "لا مشاهدات", "one": "مشاهدة واحدة", "two": "مشاهدتان",
               "few": "{n} مشاهدات", "many": "{n} مشاهدة", "other": "{n} مشاهدة"},
        "fr": {"one": "{n} vue", "other": "{n} vues"},
        "en": {"one": "{n} view", "other": "{n} views"},
    },
    "previews": {
        "ar": {"zero": "لا مشاركات", "one": "مشاركة واحدة", "two": "مشاركتان",
               "few": "{n} مشاركات", "many": "{n} مشاركةً", "other": "{n} مشاركة"},
        "fr": {"one": "{n} aperçu partagé", "other": "{n} aperçus partagés"},
        "en": {"one": "{n} shared preview", "other": "{n} shared previews"},
    },
    "orders": {
        "ar": {"zero": "لا طلبات", "one": "طلب واحد", "two": "طلبان",
               "few": "{n} طلبات", "many": "{n} طلبًا", "other": "{n} طلب"},
        "fr": {"one": "{n} commande", "other": "{n} commandes"},
        "en": {"one": "{n} order", "other": "{n} orders"},
    },
}  # fmt: skip
PHRASED_KINDS = ("insights_weekly", "insights_weekly_coop")

# Titles that carry a count, by CLDR plural category (plural_category). Arabic has six:
# 1 and 2 say the number with the noun alone (a dual for 2); 3-10 take the plural; from
# 11 the noun is singular again (accusative from 11 to 99, genitive from 100).
COUNTED = {
    "uploads_waiting": {
        "ar": {
            "zero": "لا منتجات في انتظار المراجعة",
            "one": "منتج واحد في انتظار المراجعة",
            "two": "منتجان في انتظار المراجعة",
            "few": "{count} منتجات في انتظار المراجعة",
            "many": "{count} منتجًا في انتظار المراجعة",
            "other": "{count} منتج في انتظار المراجعة",
        },
        "fr": {"one": "{count} produit à relire", "other": "{count} produits à relire"},
        "en": {"one": "{count} listing to review", "other": "{count} listings to review"},
    }
}


def plural_category(locale: str, n: int) -> str:
    """CLDR's plural category of the integer ``n`` in ``locale`` (Unicode CLDR "Language
    Plural Rules"): French counts 0 and 1 as one, English only 1."""
    if locale == "ar":
        if n in (0, 1, 2):
            return ("zero", "one", "two")[n]
        return "few" if 3 <= n % 100 <= 10 else "many" if 11 <= n % 100 <= 99 else "other"
    if locale == "fr":
        return "one" if n in (0, 1) else "other"
    return "one" if n == 1 else "other"


def choose_locale(*candidates: str | None) -> str:
    """The first supported language among ``candidates`` (the device's, then the
    account's); ``fr-MA`` counts as ``fr``."""
    for value in candidates:
        if value:
            lang = value.replace("_", "-").split("-")[0].lower()
            if lang in LOCALES:
                return lang
    return FALLBACK_LOCALE


def _localised(value: Any, locale: str) -> str:
    """A text given as {"ar", "fr", "en"}: the locale's, else any there is."""
    if isinstance(value, dict):
        for lang in (locale, *LOCALES):
            if value.get(lang):
                return str(value[lang])
        return ""
    return "" if value is None else str(value)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _entry_detail(data: dict[str, Any], values: dict[str, Any]) -> str:
    """What an entry of her earnings is about: the pieces it pays, how she was paid, or
    the coordinator's note on a correction."""
    if data.get("entry_kind") == "earned":
        return f"{values['count']} × {values['product']}"
    if data.get("entry_kind") == "paid":
        return " · ".join(v for v in (values["method"], str(data.get("reference") or "")) if v)
    return str(data.get("note") or "")


def render(kind: str, data: dict[str, Any], locale: str) -> tuple[str, str]:
    """(title, body) of a notification in ``locale``."""
    spec = KINDS[kind]
    values = {
        "product": _localised(data.get("product_title"), locale),
        "quantity": data.get("quantity", ""),
        "count": data.get("count", ""),
        "cooperative": _localised(data.get("cooperative_name"), locale),
        "material": _localised(data.get("material_name"), locale),
        "course": _localised(data.get("course_title"), locale),
        "left": data.get("left", ""),
        "workshop": _localised(data.get("workshop_title"), locale),
        "places": data.get("places", ""),
        "when": data.get("when", ""),
        "reason": data.get("reason", ""),
        "due": data.get("due", ""),
        "tracking": data.get("tracking", ""),
        "passed": data.get("passed", 0),
        "refused": data.get("refused", 0),
        "amount": money(data["amount_centimes"], locale) if "amount_centimes" in data else "",
        "method": _localised(PAYMENT_METHODS.get(data.get("method")), locale),
    }
    if kind == "earning_recorded":
        values["detail"] = _entry_detail(data, values)
    if data.get("reason_code") in REFUSAL_REASONS:
        values["reason"] = "(" + REFUSAL_REASONS[data["reason_code"]][locale] + ")"
    if kind in PHRASED_KINDS:
        for name, forms in COUNTED_PHRASES.items():
            n = data.get(name, 0) if isinstance(data.get(name, 0), int) else 0
            values[name] = forms[locale][plural_category(locale, n)].format(n=n)
    if kind in TITLED_BY:
        field, titles = TITLED_BY[kind]
        chosen = titles.get(data.get(field)) or next(iter(titles.values()))
        title = chosen[locale].format(**values)
    elif kind in COUNTED:
        forms = COUNTED[kind][locale]
        count = data.get("count")
        category = plural_category(locale, count) if isinstance(count, int) else "other"
        title = forms.get(category, forms["other"]).format(**values)
    else:
        title = spec.titles[locale].format(**values)
    body = spec.bodies[locale].format(**values)
    return _shorten(title, TITLE_MAX), _shorten(body, BODY_MAX)


def payload(kind: str, data: dict[str, Any], dedup_key: str) -> dict[str, str]:
    """The data part: the kind, the ids to sync, and the dedup key (at-least-once
    delivery: the app drops a message whose key it has seen)."""
    out = {"kind": kind, "dedup_key": dedup_key}
    for key in (
        "order_id",
        "product_id",
        "status",
        "decision",
        "cooperative_id",
        "count",
        "material_id",
        "course_id",
        "certificate_code",
        "booking_id",
        "workshop_id",
        "week",
        "bulk_order_id",
        "doc_id",
    ):
        if data.get(key) is not None:
            out[key] = str(data[key])
    if data.get("reason_codes"):
        out["reason_codes"] = ",".join(map(str, data["reason_codes"]))
    return out
